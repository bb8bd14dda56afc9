-- Adds a unit to one of the landlord's properties; null when the property is not theirs.
create function create_unit(p_landlord integer, p_property integer, p_fields jsonb)
returns jsonb
language sql volatile
as $$
  insert into units as u
    (property_id, label, bedrooms, area_sqm, rent_cents, status, tenant_name, lease_end)
  select
    p.id,
    p_fields ->> 'label',
    coalesce((p_fields ->> 'bedrooms')::integer, 0),
    (p_fields ->> 'areaSqm')::numeric,
    (p_fields ->> 'rentCents')::integer,
    coalesce(p_fields ->> 'status', 'vacant'),
    p_fields ->> 'tenantName',
    (p_fields ->> 'leaseEnd')::date
  from properties p
  where p.id = p_property and p.landlord_id = p_landlord
  returning api_unit(u)
$$;
