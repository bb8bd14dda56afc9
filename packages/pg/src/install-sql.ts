import { quoteIdent } from './identifiers'

/**
 * The registry DDL for one schema. `sql/install.sql` in the package is this text for the
 * default schema `ballast`; a test keeps the two equal. Every statement is idempotent.
 */
export function installSql(schema: string): string {
  const s = quoteIdent(schema)

  return `create schema if not exists ${s};

create table if not exists ${s}.function_versions (
  name text not null,
  version integer not null check (version > 0),
  function_schema text not null,
  physical_name text not null,
  identity_arguments text not null,
  result_type text not null,
  volatility text not null check (volatility in ('immutable', 'stable', 'volatile')),
  returns_set boolean not null,
  signature jsonb not null,
  definition_hash text not null,
  status text not null check (status in ('deployed', 'active', 'previous', 'retired')),
  deployed_at timestamptz not null default now(),
  activated_at timestamptz,
  activation_order bigint,
  dropped_at timestamptz,
  primary key (name, version)
);

create unique index if not exists function_versions_one_active
  on ${s}.function_versions (name) where status = 'active';

create sequence if not exists ${s}.activation_order;

create table if not exists ${s}.activations (
  id bigint generated always as identity primary key,
  name text not null,
  version integer not null,
  from_version integer,
  action text not null check (action in ('activate', 'rollback')),
  at timestamptz not null default now()
);

create table if not exists ${s}.migrations (
  id text primary key,
  checksum text not null,
  down_sql text,
  applied_at timestamptz not null default now(),
  applied_order bigint generated always as identity
);
`
}
