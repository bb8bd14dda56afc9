-- Deletes one of the landlord's units; its id and property, or null when it is not theirs.
create function delete_unit(p_landlord integer, p_unit integer) returns jsonb
language sql volatile
as $$
  delete from units u
  using properties p
  where u.id = p_unit and p.id = u.property_id and p.landlord_id = p_landlord
  returning jsonb_build_object('id', u.id, 'propertyId', u.property_id)
$$;
