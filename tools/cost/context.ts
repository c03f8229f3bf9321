import type { CapturedResource } from "../preview/run-program";
import type { CostAssumptions } from "./assumptions";
import { classifyFunctions, type FunctionUse } from "./functions";
import { PRICES, type PriceKey } from "./prices";
import type { FreeResourceGroup, LineItem, UnpricedResource } from "./report";

export interface LineOptions {
  /** @default true */
  confirmed?: boolean;
  note?: string;
  /** @default quantity × unitUsd */
  monthlyUsd?: number;
}

/** The line items of one service. */
export interface ServiceLines {
  add(
    item: string,
    quantity: number,
    unit: string,
    unitUsd: number,
    resources: readonly CapturedResource[],
    options?: LineOptions,
  ): void;
  /** A line at one price of the table (its unit, price and confirmation). */
  price(
    item: string,
    quantity: number,
    key: PriceKey,
    resources: readonly CapturedResource[],
    note?: string,
  ): void;
}

/** Prices one service from the run: adds its line items, and whatever it cannot price. */
export interface Pricer {
  /** The service its line items are grouped under. */
  readonly service: string;
  price(ctx: PricingContext, lines: ServiceLines): void;
}

/**
 * What the pricers share: the run's resources indexed by type once, the usage assumptions,
 * and the report being built.
 */
export class PricingContext {
  readonly lineItems: LineItem[] = [];
  readonly notPriced: UnpricedResource[] = [];
  readonly notes: string[] = [];
  private readonly byType = new Map<string, CapturedResource[]>();
  private readonly freeGroups = new Map<string, FreeResourceGroup>();
  private uses: FunctionUse[] | undefined;

  constructor(
    /** The run's custom resources (no components, no providers). */
    readonly resources: readonly CapturedResource[],
    readonly assumptions: CostAssumptions,
  ) {
    for (const r of resources) {
      const list = this.byType.get(r.type);
      if (list) list.push(r);
      else this.byType.set(r.type, [r]);
    }
  }

  /** The resources of `type`, in registration order. */
  ofType(type: string): readonly CapturedResource[] {
    return this.byType.get(type) ?? [];
  }

  /** Which functions serve the API, which run on a schedule, and how often (computed once). */
  functionUses(): readonly FunctionUse[] {
    this.uses ??= classifyFunctions(this, this.assumptions);
    return this.uses;
  }

  linesFor(service: string): ServiceLines {
    const items = this.lineItems;
    const add: ServiceLines["add"] = (item, quantity, unit, unitUsd, resources, options = {}) => {
      items.push({
        service,
        item,
        quantity,
        unit,
        unitUsd,
        monthlyUsd: options.monthlyUsd ?? quantity * unitUsd,
        confirmed: options.confirmed ?? true,
        resources: resources.map((r) => r.name),
        note: options.note,
      });
    };
    return {
      add,
      price(item, quantity, key, resources, note) {
        const p = PRICES[key];
        add(item, quantity, p.unit, p.usd, resources, { confirmed: p.confirmed, note });
      },
    };
  }

  /** Reports a resource (or a part of it, by `name`) the estimate cannot price, and why. */
  notPricedResource(r: CapturedResource, reason: string, name = r.name): void {
    this.notPriced.push({ type: r.type, name, reason });
  }

  /** Counts one resource with no charge of its own under `label` (its type, or a kind of it). */
  free(label: string, reason: string): void {
    const group = this.freeGroups.get(label);
    if (group) group.count += 1;
    else this.freeGroups.set(label, { type: label, count: 1, reason });
  }

  freeResources(): FreeResourceGroup[] {
    return [...this.freeGroups.values()].sort((x, y) => x.type.localeCompare(y.type));
  }
}
