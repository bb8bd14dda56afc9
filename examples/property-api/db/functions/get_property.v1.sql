-- One property of the landlord, or null when it does not exist or belongs to someone else:
-- the two cases look the same from outside.
create function get_property(p_landlord integer, p_property integer) returns jsonb
language sql stable
as $$
  select api_property(p) from properties p
  where p.id = p_property and p.landlord_id = p_landlord
$$;
