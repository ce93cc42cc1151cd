import { helper, Utils, type EntityName, type FilterQuery, type FindOneOptions, type FindOptions, type Loaded } from '@mikro-orm/core';
import { EntityManager, type PostgreSqlDriver, type SqlEntityManager } from '@mikro-orm/postgresql';
import { TenantIsolationError } from './errors.js';
import { assertOrganizationId } from './organization-id.js';
import { TENANT_FILTER } from './tenant-filter.js';

/**
 * Who an EntityManager works for. `tenant`: one organization (every request). `user`: one
 * signed-in user's own memberships, across organizations (sign-in, `me`); nothing else
 * tenant-owned. `system`: deliberately cross-organization work (migrations, seeding, start-up
 * checks), each with a reason that shows up in code review. No scope at all fails closed.
 */
export type EntityManagerScope =
  | { kind: 'tenant'; organizationId: string }
  | { kind: 'user'; userId: string }
  | { kind: 'system'; reason: string };

/** The filter a user scope reads memberships through: `{ userId }`. */
export const VIEWER_FILTER = 'viewer';

type AnyEntity = Record<string, unknown>;

/**
 * The ORM filter alone is not a wall (see tenancy-threats.md, section 1). This EntityManager
 * closes the paths the filter does not cover, for tenant-owned entities (those with an
 * `organizationId`) in a tenant scope:
 * - opting out of or overriding the `tenant` filter, and fixed result-cache keys, throw;
 * - `findOne` / `find` results from the identity map are re-checked against the scope;
 * - `upsert` and QueryBuilder throw: they bypass the filter; raw SQL (`execute`, `getKnex`)
 *   is refused outside a system scope;
 * - `insert`, `merge`, `map` and `nativeUpdate` refuse another organization's id;
 * - the filter parameter cannot be re-pointed away from the scope;
 * - `flush()` is checked by the TenantFlushGuard subscriber.
 */
export class TenantEntityManager extends (EntityManager as typeof SqlEntityManager<PostgreSqlDriver>) {
  scope?: EntityManagerScope;

  /** The organization this EntityManager is scoped to; throws outside a tenant scope. */
  get organizationId(): string {
    if (this.scope?.kind !== 'tenant') throw new TenantIsolationError('this EntityManager has no tenant scope');
    return this.scope.organizationId;
  }

  /** Takes an entity name, class, schema or instance. */
  isTenantOwned(entityOrName: unknown): boolean {
    return Boolean(this.metaOf(entityOrName)?.properties.organizationId);
  }

  /** Whether the tenant filter is on by default (multi-tenant mode). */
  private get filterEnforced(): boolean {
    const filters = this.config.get('filters') as Record<string, { default?: boolean }>;
    return filters[TENANT_FILTER]?.default === true;
  }

  /**
   * Whether scope checks apply to this entity here. Fails closed: tenant-owned data needs a
   * scope, and a user scope reaches only entities keyed by user (memberships).
   */
  private guarded(entityOrName: unknown): boolean {
    if (!this.isTenantOwned(entityOrName)) return false;
    if (!this.scope) throw new TenantIsolationError('tenant-owned data accessed through an EntityManager without a scope');
    if (this.scope.kind === 'user' && !this.metaOf(entityOrName)?.properties.userId) {
      throw new TenantIsolationError('a user scope reaches only the user\'s own memberships');
    }
    return this.scope.kind !== 'system';
  }

  private metaOf(entityOrName: unknown) {
    const name = Utils.isEntity(entityOrName)
      ? helper(entityOrName).__meta.className
      : Utils.className(entityOrName as unknown as EntityName<object>);
    return this.getMetadata().find(name);
  }

  /** Whether a row of a guarded entity belongs to this scope. */
  private owns(row: AnyEntity): boolean {
    if (this.scope?.kind === 'tenant') return row.organizationId === this.scope.organizationId;
    if (this.scope?.kind === 'user') return row.userId === this.scope.userId;
    return false;
  }

  private assertSameOrganization(data: unknown, what: string): void {
    const org = (data as AnyEntity | undefined)?.organizationId;
    if (org !== this.organizationId) {
      throw new TenantIsolationError(`${what} for organization ${String(org)} refused in the scope of ${this.organizationId}`);
    }
  }

  private visible<T>(entityName: unknown, entity: T): T | null {
    if (entity == null || !this.guarded(entityName)) return entity;
    return this.owns(entity as AnyEntity) ? entity : null;
  }

  /** A tenant EntityManager's filter parameter is its scope's organization, and stays so. */
  override setFilterParams(name: string, args: any): void {
    if (name === TENANT_FILTER && this.scope?.kind === 'tenant' && args?.organizationId !== this.scope.organizationId) {
      throw new TenantIsolationError('the tenant filter of a tenant-scoped EntityManager cannot be re-pointed');
    }
    super.setFilterParams(name, args);
  }

  /** Raw SQL cannot be scoped: only deliberate system work may use it. */
  private assertRawAllowed(): void {
    if (this.scope?.kind !== 'system') throw new TenantIsolationError('raw SQL is only allowed in a system scope');
  }

  /**
   * Forks keep the scope and, by default, the transaction: a request's work runs in the one
   * transaction that carries its row-level-security settings; outside it, it would see nothing.
   */
  override fork(options?: Parameters<SqlEntityManager['fork']>[0]): this {
    const fork = super.fork({ keepTransactionContext: true, ...options });
    fork.scope = this.scope;
    return fork;
  }

  override async applyFilters(entityName: string, where: any, options: any, type: any, findOptions?: any): Promise<any> {
    if (this.scope?.kind === 'system') {
      return super.applyFilters(entityName, where, { [TENANT_FILTER]: false }, type, findOptions);
    }
    if (this.scope?.kind === 'user' && this.guarded(entityName)) {
      if (options === false || (options && typeof options === 'object' && Object.keys(options).length > 0)) {
        throw new TenantIsolationError('filters cannot be changed in a user scope');
      }
      const filters = { [TENANT_FILTER]: false, [VIEWER_FILTER]: { userId: this.scope.userId } };
      return super.applyFilters(entityName, where, filters, type, findOptions);
    }
    if (this.guarded(entityName)) {
      if (Array.isArray(findOptions?.cache)) {
        throw new TenantIsolationError('a fixed result-cache key on a tenant-owned entity would be shared across organizations');
      }
      if (this.filterEnforced && (options === false || (options && typeof options === 'object' && TENANT_FILTER in options))) {
        throw new TenantIsolationError(`the tenant filter cannot be switched off or re-parameterized for ${entityName}`);
      }
    }
    return super.applyFilters(entityName, where, options, type, findOptions);
  }

  /**
   * Partial loading (`fields`, `exclude`) keeps the column that `owns` checks: without it every
   * row of a guarded entity would read as another scope's and be dropped (a list of
   * `fields: ['id', 'title']` came back empty).
   */
  private withOwnerField<O extends { fields?: readonly unknown[]; exclude?: readonly unknown[] }>(entityName: unknown, options: O | undefined): O | undefined {
    if (!options || (!options.fields && !options.exclude) || !this.guarded(entityName)) return options;
    const owner = this.scope?.kind === 'user' ? 'userId' : 'organizationId';
    return {
      ...options,
      ...(options.fields && !options.fields.includes(owner) ? { fields: [...options.fields, owner] } : {}),
      ...(options.exclude?.includes(owner) ? { exclude: options.exclude.filter((f) => f !== owner) } : {}),
    };
  }

  override async findOne<E extends object, H extends string = never, F extends string = '*', X extends string = never>(
    entityName: EntityName<E>,
    where: FilterQuery<NoInfer<E>>,
    options?: FindOneOptions<E, H, F, X>,
  ): Promise<Loaded<E, H, F, X> | null> {
    return this.visible(entityName, await super.findOne(entityName, where, this.withOwnerField(entityName, options)));
  }

  override async find<E extends object, H extends string = never, F extends string = '*', X extends string = never>(
    entityName: EntityName<E>,
    where: FilterQuery<NoInfer<E>>,
    options?: FindOptions<E, H, F, X>,
  ): Promise<Loaded<E, H, F, X>[]> {
    const rows = await super.find(entityName, where, this.withOwnerField(entityName, options));
    return this.guarded(entityName) ? rows.filter((r) => this.owns(r as AnyEntity)) : rows;
  }

  override async upsert(entityNameOrEntity: any, data?: any, options?: any): Promise<any> {
    if (this.guarded(entityNameOrEntity)) throw new TenantIsolationError('upsert writes without the tenant filter; load and change the entity instead');
    return super.upsert(entityNameOrEntity, data, options);
  }

  override async upsertMany(entityNameOrEntity: any, data?: any, options?: any): Promise<any> {
    const probe = Array.isArray(entityNameOrEntity) ? entityNameOrEntity[0] : entityNameOrEntity;
    if (probe && this.guarded(probe)) throw new TenantIsolationError('upsertMany writes without the tenant filter');
    return super.upsertMany(entityNameOrEntity, data, options);
  }

  override async insert(entityNameOrEntity: any, data?: any, options?: any): Promise<any> {
    if (this.guarded(entityNameOrEntity)) this.assertSameOrganization(data ?? entityNameOrEntity, 'insert');
    return super.insert(entityNameOrEntity, data, options);
  }

  override async insertMany(entityNameOrEntities: any, data?: any, options?: any): Promise<any> {
    const rows: unknown[] = data ?? entityNameOrEntities;
    const probe = Array.isArray(entityNameOrEntities) ? entityNameOrEntities[0] : entityNameOrEntities;
    if (probe && this.guarded(probe)) rows.forEach((row) => this.assertSameOrganization(row, 'insertMany'));
    return super.insertMany(entityNameOrEntities, data, options);
  }

  override async nativeUpdate(entityName: any, where: any, data: any, options?: any): Promise<number> {
    if (this.guarded(entityName)) {
      this.assertWritable();
      if (data && 'organizationId' in data) throw new TenantIsolationError('organization_id cannot be changed');
    }
    return super.nativeUpdate(entityName, where, data, options);
  }

  override async nativeDelete(entityName: any, where: any, options?: any): Promise<number> {
    if (this.guarded(entityName)) this.assertWritable();
    return super.nativeDelete(entityName, where, options);
  }

  /** A user scope only reads. */
  private assertWritable(): void {
    if (this.scope?.kind !== 'tenant') throw new TenantIsolationError('only a tenant scope writes tenant-owned data');
  }

  override merge(entityName: any, data?: any, options?: any): any {
    // merge(entity, options) or merge(entityName, data, options)
    const entity = Utils.isEntity(entityName) ? entityName : data;
    if (this.guarded(entityName)) this.assertSameOrganization(entity, 'merge');
    return super.merge(entityName, data, options);
  }

  override map(entityName: any, result: any, options?: any): any {
    if (this.guarded(entityName)) {
      const meta = this.getMetadata().find(Utils.className(entityName));
      const column = meta?.properties.organizationId?.fieldNames[0] ?? 'organization_id';
      this.assertSameOrganization({ organizationId: result?.[column] ?? result?.organizationId }, 'map');
    }
    return super.map(entityName, result, options);
  }

  override createQueryBuilder(entityName: any, alias?: any, type?: any, loggerContext?: any): any {
    const isSubQuery = typeof entityName === 'object' && 'getKnexQuery' in entityName;
    if (this.scope?.kind !== 'system' && (isSubQuery || this.guarded(entityName))) {
      throw new TenantIsolationError('QueryBuilder ignores the tenant filter on joins and writes; use find/findOne in tenant scope');
    }
    return super.createQueryBuilder(entityName, alias, type, loggerContext);
  }

  override getKnex(type?: any): any {
    this.assertRawAllowed();
    return super.getKnex(type);
  }

  override async execute<T = any>(queryOrKnex: any, params?: any, method?: any, loggerContext?: any): Promise<T> {
    this.assertRawAllowed();
    return super.execute(queryOrKnex, params, method, loggerContext) as Promise<T>;
  }
}

/** A request's EntityManager: a fresh identity map, the tenant filter parameterized with its organization. */
export function forkForTenant(root: SqlEntityManager, organizationId: string): TenantEntityManager {
  const em = root.fork({ clear: true, useContext: false }) as TenantEntityManager;
  const id = assertOrganizationId(organizationId);
  em.scope = { kind: 'tenant', organizationId: id };
  em.setFilterParams(TENANT_FILTER, { organizationId: id });
  return em;
}

/** The signed-in user's own memberships, in every organization, and nothing else tenant-owned. */
export function forkForUser(root: SqlEntityManager, userId: string): TenantEntityManager {
  const em = root.fork({ clear: true, useContext: false }) as TenantEntityManager;
  em.scope = { kind: 'user', userId };
  return em;
}

/** An EntityManager that deliberately works across organizations. Keep `reason` honest. */
export function forkForSystem(root: SqlEntityManager, reason: string): TenantEntityManager {
  const em = root.fork({ clear: true, useContext: false }) as TenantEntityManager;
  em.scope = { kind: 'system', reason };
  return em;
}
