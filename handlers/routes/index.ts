/** The API function's route table. */
import type { Route } from "../lib/router";
import { createCampaign } from "./campaigns";
import type { RouteContext } from "./context";
import { listFans } from "./fans";
import { health } from "./health";
import { listMessages } from "./messages";
import { getRevenue } from "./revenue";
import { createTransaction } from "./transactions";

export const routes: Route<RouteContext>[] = [
  health,
  listFans,
  listMessages,
  createCampaign,
  createTransaction,
  getRevenue,
];
