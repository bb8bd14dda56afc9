-- The landlord's portfolio at a glance: how much is let and what it brings in each month.
create function portfolio_dashboard(p_landlord integer) returns jsonb
language sql stable
as $$
  with mine as (
    select u.* from units u
    join properties p on p.id = u.property_id
    where p.landlord_id = p_landlord
  )
  select jsonb_build_object(
    'properties', (select count(*) from properties where landlord_id = p_landlord),
    'units', (select count(*) from mine),
    'occupiedUnits', (select count(*) from mine where status in ('occupied', 'notice')),
    'vacantUnits', (select count(*) from mine where status = 'vacant'),
    'occupancyRate', (
      select coalesce(round(
        (count(*) filter (where status in ('occupied', 'notice')))::numeric
          / nullif(count(*), 0), 4), 0)::float8
      from mine
    ),
    'rentRollCents', (
      select coalesce(sum(rent_cents), 0) from mine where status in ('occupied', 'notice')
    )
  )
$$;
