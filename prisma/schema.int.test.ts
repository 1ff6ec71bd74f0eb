import { readFileSync } from "node:fs";
import path from "node:path";
import { get_dmmf } from "@prisma/prisma-schema-wasm";
import { describe, expect, it } from "vitest";
import { useTestDatabase } from "../server/test/database";

/**
 * The SQL migrations are written by hand (Prisma's schema engine is a download we cannot
 * make), so this test proves that the migrated database is exactly what schema.prisma
 * describes: every model's table, every scalar column with its type, nullability and
 * default, every enum with its values, primary keys, unique constraints (partial ones —
 * `where:` in the schema — as partial) and foreign keys.
 */

interface DmmfField {
  name: string;
  dbName?: string | null;
  kind: "scalar" | "object" | "enum" | "unsupported";
  type: string;
  isList: boolean;
  isRequired: boolean;
  isId: boolean;
  isUnique: boolean;
  hasDefaultValue: boolean;
  isUpdatedAt: boolean;
  nativeType: [string, string[]] | null;
  default?: unknown;
  relationFromFields?: string[];
  relationOnDelete?: string;
}
interface DmmfModel {
  name: string;
  dbName: string | null;
  fields: DmmfField[];
  primaryKey: { fields: string[] } | null;
  uniqueFields: string[][];
}
interface DmmfIndex {
  model: string;
  type: "id" | "normal" | "unique" | "fulltext";
  fields: { name: string }[];
}
interface Dmmf {
  datamodel: { models: DmmfModel[]; enums: { name: string; dbName: string | null; values: { name: string }[] }[]; indexes: DmmfIndex[] };
}

const schema = readFileSync(path.join(import.meta.dirname, "schema.prisma"), "utf8");
const dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: [["schema.prisma", schema]] }))) as Dmmf;

/**
 * Fields of type Unsupported("…") (xid8 positions of the change feed): the DMMF leaves them
 * out, so they are read from the schema text — name, database type, optional, default.
 */
function unsupportedFields(modelName: string): DmmfField[] {
  const block = new RegExp(`^model ${modelName} \\{([\\s\\S]*?)^\\}`, "m").exec(schema)?.[1] ?? "";
  return [...block.matchAll(/^\s*(\w+)\s+Unsupported\("([^"]+)"\)(\?)?(.*)$/gm)].map(([, name, type, optional, rest]) => ({
    name: name!,
    dbName: /@map\("([^"]+)"\)/.exec(rest!)?.[1] ?? null,
    kind: "unsupported",
    type: type!,
    isList: false,
    isRequired: !optional,
    isId: false,
    isUnique: false,
    hasDefaultValue: rest!.includes("@default("),
    isUpdatedAt: false,
    nativeType: null,
  }));
}

const enumDbName = new Map(dmmf.datamodel.enums.map((e) => [e.name, e.dbName ?? e.name]));
const modelByName = new Map(dmmf.datamodel.models.map((m) => [m.name, m]));
const tableOf = (m: DmmfModel) => m.dbName ?? m.name;
const columnOf = (f: DmmfField) => f.dbName ?? f.name;

/** The Postgres type (as format_type prints it) Prisma creates for a field. */
function expectedType(field: DmmfField): string {
  if (field.kind === "enum") return enumDbName.get(field.type)!;
  // Unsupported("xid8"): the type as written.
  if (field.kind === "unsupported") return field.type;
  const native = field.nativeType;
  if (native) {
    const [name, args] = native;
    const map: Record<string, string> = {
      Timestamptz: "timestamp with time zone",
      Timestamp: "timestamp without time zone",
      VarChar: "character varying",
      Text: "text",
      Uuid: "uuid",
      SmallInt: "smallint",
      Integer: "integer",
      BigInt: "bigint",
      DoublePrecision: "double precision",
      Decimal: "numeric",
      JsonB: "jsonb",
      Json: "json",
      Date: "date",
    };
    const base = map[name];
    if (!base) throw new Error(`native type ${name} not mapped in this test`);
    if (!args.length) return base;
    // format_type puts the precision of time types before "with/without time zone".
    const [head, ...rest] = name.startsWith("Timestamp") ? ["timestamp", base.slice("timestamp".length)] : [base, ""];
    return `${head}(${args.join(",")})${rest.join("")}`;
  }
  const scalar: Record<string, string> = {
    String: "text",
    Int: "integer",
    BigInt: "bigint",
    Float: "double precision",
    Boolean: "boolean",
    DateTime: "timestamp(3) without time zone",
    Json: "jsonb",
    Decimal: "numeric(65,30)",
    Bytes: "bytea",
  };
  return scalar[field.type]!;
}

describe("the migrated database matches schema.prisma", () => {
  const t = useTestDatabase();

  async function columns(table: string) {
    return t.db.$queryRaw<{ column: string; type: string; nullable: boolean; has_default: boolean; is_array: boolean }[]>`
      SELECT a.attname AS column,
             format_type(a.atttypid, a.atttypmod) AS type,
             NOT a.attnotnull AS nullable,
             a.atthasdef AS has_default,
             t.typcategory = 'A' AS is_array
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        JOIN pg_type t ON t.oid = a.atttypid
       WHERE n.nspname = 'public' AND c.relname = ${table} AND a.attnum > 0 AND NOT a.attisdropped
       ORDER BY a.attnum`;
  }

  it("has exactly the tables of the models (plus Prisma's migrations table)", async () => {
    const rows = await t.db.$queryRaw<{ table_name: string }[]>`
      SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`;
    const actual = rows.map((r) => r.table_name).sort();
    const expected = [...dmmf.datamodel.models.map(tableOf), "_prisma_migrations"].sort();
    expect(actual).toEqual(expected);
  });

  it("has every enum with its values in order", async () => {
    for (const e of dmmf.datamodel.enums) {
      const rows = await t.db.$queryRaw<{ label: string }[]>`
        SELECT e.enumlabel AS label FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid
         WHERE t.typname = ${e.dbName ?? e.name} ORDER BY e.enumsortorder`;
      expect(rows.map((r) => r.label), e.name).toEqual(e.values.map((v) => v.name));
    }
  });

  for (const model of dmmf.datamodel.models) {
    it(`${model.name} → table ${tableOf(model)}: columns, types, nullability, defaults`, async () => {
      const actual = await columns(tableOf(model));
      const scalars = [...model.fields.filter((f) => f.kind === "scalar" || f.kind === "enum"), ...unsupportedFields(model.name)];
      expect(actual.map((c) => c.column).sort()).toEqual(scalars.map(columnOf).sort());
      for (const field of scalars) {
        const column = actual.find((c) => c.column === columnOf(field))!;
        const where = `${model.name}.${field.name}`;
        expect(column.type, where).toBe(expectedType(field) + (field.isList ? "[]" : ""));
        expect(column.nullable, `${where} nullable`).toBe(!field.isRequired);
        // Prisma-side defaults (cuid(), @updatedAt) have no database default.
        const dbDefault =
          field.hasDefaultValue &&
          !(typeof field.default === "object" && field.default !== null && "name" in field.default &&
            ["cuid", "uuid", "nanoid"].includes((field.default as { name: string }).name));
        expect(column.has_default, `${where} default`).toBe(dbDefault);
      }
    });

    it(`${model.name}: primary key, unique constraints and foreign keys`, async () => {
      const table = tableOf(model);
      const indexes = await t.db.$queryRaw<{ columns: string[]; is_unique: boolean; is_primary: boolean; is_partial: boolean }[]>`
        SELECT array_agg(a.attname ORDER BY k.ord)::text[] AS columns, i.indisunique AS is_unique, i.indisprimary AS is_primary,
               i.indpred IS NOT NULL AS is_partial
          FROM pg_index i
          JOIN pg_class c ON c.oid = i.indrelid
          CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE c.relname = ${table}
         GROUP BY i.indexrelid, i.indisunique, i.indisprimary, i.indpred`;
      const byName = new Map(model.fields.map((f) => [f.name, f]));
      const cols = (names: string[]) => names.map((n) => columnOf(byName.get(n)!));

      const idField = model.fields.find((f) => f.isId);
      const pk = idField ? [columnOf(idField)] : cols(model.primaryKey?.fields ?? []);
      expect(indexes.find((i) => i.is_primary)?.columns, `${model.name} primary key`).toEqual(pk);

      const expectedUnique = [
        ...model.fields.filter((f) => f.isUnique).map((f) => [columnOf(f)]),
        ...model.uniqueFields.map(cols),
      ].map((c) => c.join(","));
      const actualUnique = indexes.filter((i) => i.is_unique && !i.is_primary && !i.is_partial).map((i) => i.columns.join(","));
      expect(actualUnique.sort(), `${model.name} unique`).toEqual(expectedUnique.sort());
      // Partial unique indexes (`where:`, preview feature partialIndexes) are not among the
      // model's uniqueFields — the client cannot find a row by them — but are among its indexes.
      const expectedPartial = dmmf.datamodel.indexes
        .filter((i) => i.model === model.name && i.type === "unique")
        .map((i) => cols(i.fields.map((f) => f.name)).join(","))
        .filter((c) => !expectedUnique.includes(c));
      const actualPartial = indexes.filter((i) => i.is_unique && i.is_partial).map((i) => i.columns.join(","));
      expect(actualPartial.sort(), `${model.name} partial unique`).toEqual(expectedPartial.sort());

      const fks = await t.db.$queryRaw<{ columns: string[]; ref_table: string; on_delete: string }[]>`
        SELECT array_agg(a.attname ORDER BY k.ord)::text[] AS columns, rc.relname AS ref_table, con.confdeltype::text AS on_delete
          FROM pg_constraint con
          JOIN pg_class c ON c.oid = con.conrelid
          JOIN pg_class rc ON rc.oid = con.confrelid
          CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.attnum
         WHERE con.contype = 'f' AND c.relname = ${table}
         GROUP BY con.oid, rc.relname, con.confdeltype`;
      const onDeleteCode: Record<string, string> = { Cascade: "c", SetNull: "n", Restrict: "r", NoAction: "a", SetDefault: "d" };
      const expectedFks = model.fields
        .filter((f) => f.kind === "object" && f.relationFromFields && f.relationFromFields.length > 0)
        .map((f) => ({
          columns: cols(f.relationFromFields!),
          ref_table: tableOf(modelByName.get(f.type)!),
          // Prisma's default: SetNull for optional relations, Restrict for required ones.
          on_delete: onDeleteCode[f.relationOnDelete ?? (f.isRequired ? "Restrict" : "SetNull")]!,
        }));
      const key = (fk: { columns: string[]; ref_table: string; on_delete: string }) =>
        `${fk.columns.join(",")}->${fk.ref_table}:${fk.on_delete}`;
      expect(fks.map(key).sort(), `${model.name} foreign keys`).toEqual(expectedFks.map(key).sort());
    });
  }
});
