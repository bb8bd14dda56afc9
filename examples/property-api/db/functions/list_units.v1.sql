-- The units of one of the landlord's properties, or null when the property is not theirs.
create function list_units(p_landlord integer, p_property integer) returns jsonb
language sql stable
as $$
  select coalesce(
    (select jsonb_agg(api_unit(u) order by u.id) from units u where u.property_id = p.id),
    '[]'::jsonb
  )
  from properties p
  where p.id = p_property and p.landlord_id = p_landlord
$$;
