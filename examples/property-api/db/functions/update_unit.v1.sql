-- Applies the fields present in p_patch to one of the landlord's units (null clears an
-- optional field); null when the unit is not theirs.
create function update_unit(p_landlord integer, p_unit integer, p_patch jsonb) returns jsonb
language sql volatile
as $$
  update units as u set
    label = coalesce(p_patch ->> 'label', u.label),
    bedrooms = coalesce((p_patch ->> 'bedrooms')::integer, u.bedrooms),
    area_sqm = case when p_patch ? 'areaSqm' then (p_patch ->> 'areaSqm')::numeric
                    else u.area_sqm end,
    rent_cents = coalesce((p_patch ->> 'rentCents')::integer, u.rent_cents),
    status = coalesce(p_patch ->> 'status', u.status),
    tenant_name = case when p_patch ? 'tenantName' then p_patch ->> 'tenantName'
                       else u.tenant_name end,
    lease_end = case when p_patch ? 'leaseEnd' then (p_patch ->> 'leaseEnd')::date
                     else u.lease_end end,
    updated_at = now()
  from properties p
  where u.id = p_unit and p.id = u.property_id and p.landlord_id = p_landlord
  returning api_unit(u)
$$;
