import { type LintRule, lintMigration } from '@ballast/pg'
import { describe, expect, it } from 'vitest'

const rules = (sql: string, callable: string[] = []) =>
  lintMigration(sql, { callable }).map((f) => f.rule)

describe('lintMigration', () => {
  it.each<[string, LintRule]>([
    ['drop table homes', 'drop-table'],
    ['DROP TABLE IF EXISTS public.homes CASCADE', 'drop-table'],
    ['alter table homes drop column price', 'drop-column'],
    ['alter table only "public"."homes" drop price', 'drop-column'],
    ['alter table homes rename column price to cost', 'rename'],
    ['alter table homes rename price to cost', 'rename'],
    ['alter table homes rename to houses', 'rename'],
    ['alter table homes alter column price type bigint', 'column-type'],
    ['alter table homes alter price set data type text', 'column-type'],
    ['alter table homes add column rooms int not null', 'not-null'],
    ['alter table homes alter column price set not null', 'not-null'],
    ['drop function get_homes__v1(text)', 'drop-function'],
    ['drop function if exists public.get_homes__v1', 'drop-function'],
  ])('flags %j as %s', (sql, rule) => {
    expect(rules(sql, ['get_homes__v1'])).toEqual([rule])
  })

  it.each([
    'alter table homes add column rooms int not null default 1',
    'alter table homes add column rooms int',
    'alter table homes add constraint positive check (price > 0) not valid',
    'alter table homes drop constraint positive',
    'alter table homes alter column price drop not null',
    'alter table homes alter column price set default 0',
    'alter table homes rename constraint a to b',
    'create table houses (id int not null)',
    'drop function old_helper(int)',
    "insert into notes values ('drop table homes; alter table x drop column y')",
    '-- drop table homes\nselect 1',
    'create function f() returns void language plpgsql as $$ begin drop table homes; end $$',
  ])('accepts %j', (sql) => {
    expect(rules(sql, ['get_homes__v1'])).toEqual([])
  })

  it('finds several problems in one statement and reports their line', () => {
    const sql =
      'create table a (id int);\n\nalter table homes\n  drop column price,\n' +
      '  alter column title type varchar(10);'
    expect(lintMigration(sql)).toMatchObject([
      { rule: 'drop-column', line: 3 },
      { rule: 'column-type', line: 3 },
    ])
  })

  it('accepts a rule the file annotates, and only that rule', () => {
    const sql = `-- ballast:allow drop-column -- the column is unused since v4
alter table homes drop column legacy;
drop table homes_old;`
    expect(rules(sql)).toEqual(['drop-table'])
    expect(rules(`/* ballast:allow drop-column, drop-table */ ${sql}`)).toEqual([])
  })
})
