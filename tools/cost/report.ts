import type { CostAssumptions } from "./assumptions";

export interface LineItem {
  service: string;
  item: string;
  quantity: number;
  unit: string;
  unitUsd: number;
  monthlyUsd: number;
  /** False when a price in the computation is not re-confirmed (see prices.ts). */
  confirmed: boolean;
  /** Logical names of the resources behind the line. */
  resources: string[];
  note?: string;
}

export interface UnpricedResource {
  type: string;
  name: string;
  reason: string;
}

export interface FreeResourceGroup {
  type: string;
  count: number;
  reason: string;
}

export interface CostReport {
  project: string;
  stack: string;
  priceRegion: string;
  pricesAsOf: string;
  currency: "USD";
  lineItems: LineItem[];
  totalMonthlyUsd: number;
  notPriced: UnpricedResource[];
  free: FreeResourceGroup[];
  assumptions: CostAssumptions;
  assumptionsOverridden: string[];
  assumptionsSource: string;
  notes: string[];
}
