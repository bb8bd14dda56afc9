-- The landlord a bearer token belongs to, or null for an unknown, expired or revoked token.
create function authenticate(p_token text) returns jsonb
language sql stable
as $$
  select jsonb_build_object('id', l.id, 'name', l.name, 'email', l.email)
  from api_tokens t
  join landlords l on l.id = t.landlord_id
  where t.token_hash = sha256(convert_to(p_token, 'UTF8'))
    and t.revoked_at is null
    and (t.expires_at is null or t.expires_at > now())
$$;
