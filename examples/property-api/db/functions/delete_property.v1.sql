-- Deletes a property and its units; what was deleted, or null when it was not there.
create function delete_property(p_landlord integer, p_property integer) returns jsonb
language sql volatile
as $$
  with doomed as (
    select id from properties where id = p_property and landlord_id = p_landlord
  ),
  gone_units as (
    delete from units where property_id in (select id from doomed) returning id
  ),
  gone as (
    delete from properties where id in (select id from doomed) returning id
  )
  select jsonb_build_object(
    'id', g.id,
    'unitIds', coalesce((select jsonb_agg(id order by id) from gone_units), '[]'::jsonb)
  )
  from gone g
$$;
