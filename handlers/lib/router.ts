/**
 * A tiny route table: `METHOD /path/{param}` patterns compiled once, matched per request.
 * Unknown path → 404; known path with another method → 405 with `Allow`. `HEAD` is served by
 * the `GET` route (the handler drops the body); `OPTIONS` on a known path answers 204 with
 * `Allow` (no CORS headers: the API has no browser origins configured).
 */
import { MethodNotAllowedError, NotFoundError } from "./errors";
import type { ApiRequest, ApiResponse } from "./http";

export interface Route<Ctx> {
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";
  /** e.g. `/creators/{id}/fans/{fanId}/messages`. */
  path: string;
  handler: (request: ApiRequest, context: Ctx) => Promise<ApiResponse>;
  /**
   * Served without a token. Only the health check is: everything else is authenticated and
   * authorized in http-handler.ts before the route runs.
   * @default false
   */
  public?: boolean;
}

export interface MatchedRoute<Ctx> {
  route: Route<Ctx>;
  params: Record<string, string>;
}

interface Compiled<Ctx> {
  route: Route<Ctx>;
  regex: RegExp;
  names: string[];
}

export class Router<Ctx> {
  readonly #routes: Compiled<Ctx>[];

  constructor(routes: Route<Ctx>[]) {
    this.#routes = routes.map((route) => {
      const names: string[] = [];
      const source = route.path
        .split("/")
        .map((segment) => {
          const param = /^\{([A-Za-z][A-Za-z0-9]*)\}$/.exec(segment);
          if (!param) return segment.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
          names.push(param[1]);
          return "([^/]+)";
        })
        .join("/");
      return { route, regex: new RegExp(`^${source}/?$`), names };
    });
  }

  /** The route for this method and path, or a 404/405 HttpError. */
  match(method: string, path: string): MatchedRoute<Ctx> {
    const allowed: string[] = [];
    const wanted = method === "HEAD" ? "GET" : method;
    for (const { route, regex, names } of this.#routes) {
      const found = regex.exec(path);
      if (!found) continue;
      if (route.method !== wanted) {
        allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      names.forEach((name, i) => {
        params[name] = safeDecode(found[i + 1]);
      });
      return { route, params };
    }
    if (allowed.length === 0) throw new NotFoundError("No route matches this path.");
    const allow = allowHeader(allowed);
    if (method === "OPTIONS") {
      return {
        route: {
          method: "OPTIONS",
          path,
          handler: async () => ({ status: 204, headers: { allow: allow.join(", ") } }),
        },
        params: {},
      };
    }
    throw new MethodNotAllowedError(allow);
  }
}

/** The methods a path accepts: its routes', HEAD wherever GET is, and OPTIONS. */
function allowHeader(methods: string[]): string[] {
  const all = new Set(methods);
  if (all.has("GET")) all.add("HEAD");
  all.add("OPTIONS");
  return [...all];
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
