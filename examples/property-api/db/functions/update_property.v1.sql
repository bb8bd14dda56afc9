-- Applies the fields present in p_patch (null clears an optional field); null when the
-- property does not exist or belongs to someone else.
create function update_property(p_landlord integer, p_property integer, p_patch jsonb)
returns jsonb
language sql volatile
as $$
  update properties as p set
    name = coalesce(p_patch ->> 'name', p.name),
    address = coalesce(p_patch ->> 'address', p.address),
    city = coalesce(p_patch ->> 'city', p.city),
    postal_code = case when p_patch ? 'postalCode' then p_patch ->> 'postalCode'
                       else p.postal_code end,
    kind = coalesce(p_patch ->> 'kind', p.kind),
    updated_at = now()
  where p.id = p_property and p.landlord_id = p_landlord
  returning api_property(p)
$$;
