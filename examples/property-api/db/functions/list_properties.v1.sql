-- One page of a landlord's properties, newest first, with the total for paging.
create function list_properties(p_landlord integer, p_limit integer, p_offset integer)
returns jsonb
language sql stable
as $$
  select jsonb_build_object(
    'items', coalesce((
      select jsonb_agg(api_property(p) order by p.id desc)
      from (
        select * from properties
        where landlord_id = p_landlord
        order by id desc
        limit p_limit offset p_offset
      ) p
    ), '[]'::jsonb),
    'total', (select count(*) from properties where landlord_id = p_landlord),
    'limit', p_limit,
    'offset', p_offset
  )
$$;
