-- Creates a property for the landlord from the validated fields of a request body.
create function create_property(p_landlord integer, p_fields jsonb) returns jsonb
language sql volatile
as $$
  insert into properties as p (landlord_id, name, address, city, postal_code, kind)
  values (
    p_landlord,
    p_fields ->> 'name',
    p_fields ->> 'address',
    p_fields ->> 'city',
    p_fields ->> 'postalCode',
    coalesce(p_fields ->> 'kind', 'residential')
  )
  returning api_property(p)
$$;
