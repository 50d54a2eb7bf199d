// Great-circle distance tests for the geo boost (DESIGN.md: +15% for a replica more than
// 100 km from the torrent's other seeds). Locations are what the edge sees of a node's
// connection (Cloudflare's request.cf latitude/longitude), never what a node claims.
//
// The decision must come out the same wherever the epoch is re-run (the worker in workerd,
// `vidya verify` in Node, anyone's verifier), so it uses only IEEE-754 +, −, × and ÷, which every
// JavaScript engine computes identically: sine and cosine are polynomials here, not Math.sin
// (whose last bits ECMAScript leaves to the engine), and the haversine is compared against the
// threshold's own haversine, so no arcsine or square root is needed.

export interface Location {
  /** Degrees, −90 … 90. */
  lat: number;
  /** Degrees, −180 … 180. */
  lon: number;
}

/** Mean Earth radius (IUGG), km. */
export const EARTH_RADIUS_KM = 6371.0088;
const HALF_PI = 1.5707963267948966;
const RAD = 0.017453292519943295;

// Taylor polynomials on [−π/4, π/4], in Horner form: error below 1e-16 there.
function sinSmall(r: number): number {
  const r2 = r * r;
  return r * (1 + r2 * (-1 / 6 + r2 * (1 / 120 + r2 * (-1 / 5040 + r2 * (1 / 362880 + r2 * (-1 / 39916800 + r2 * (1 / 6227020800 + r2 * (-1 / 1307674368000))))))));
}
function cosSmall(r: number): number {
  const r2 = r * r;
  return 1 + r2 * (-1 / 2 + r2 * (1 / 24 + r2 * (-1 / 720 + r2 * (1 / 40320 + r2 * (-1 / 3628800 + r2 * (1 / 479001600 + r2 * (-1 / 87178291200 + r2 * (1 / 20922789888000))))))));
}

/** sin(x), x in radians, |x| ≤ 4π: reduced to [−π/4, π/4] by quarter turns. */
export function detSin(x: number): number {
  const k = Math.round(x / HALF_PI);
  const r = x - k * HALF_PI;
  switch (((k % 4) + 4) % 4) {
    case 0:
      return sinSmall(r);
    case 1:
      return cosSmall(r);
    case 2:
      return -sinSmall(r);
    default:
      return -cosSmall(r);
  }
}

export function detCos(x: number): number {
  return detSin(x + HALF_PI);
}

export function checkLocation(l: Location): void {
  if (!Number.isFinite(l.lat) || !Number.isFinite(l.lon) || Math.abs(l.lat) > 90 || Math.abs(l.lon) > 180) {
    throw new RangeError(`not a location: ${l.lat}, ${l.lon}`);
  }
}

/** The haversine of the central angle between two locations: sin²(Δφ/2) + cos φ₁ cos φ₂ sin²(Δλ/2). */
export function haversine(a: Location, b: Location): number {
  const sLat = detSin(((b.lat - a.lat) * RAD) / 2);
  const sLon = detSin(((b.lon - a.lon) * RAD) / 2);
  return sLat * sLat + detCos(a.lat * RAD) * detCos(b.lat * RAD) * sLon * sLon;
}

/** The haversine a distance of `km` has: sin²(km ÷ 2R). */
export function haversineOfKm(km: number): number {
  const s = detSin(km / (2 * EARTH_RADIUS_KM));
  return s * s;
}

/** True when `a` and `b` are more than `km` apart along the Earth's surface. */
export function fartherThan(a: Location, b: Location, km: number): boolean {
  return haversine(a, b) > haversineOfKm(km);
}

/** The distance in km, for reports only (uses Math.asin; decisions use `fartherThan`). */
export function distanceKm(a: Location, b: Location): number {
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(haversine(a, b))));
}

/**
 * For each location, whether every other one is more than `km` away. Sorted by latitude, each
 * is compared only with those within `km` of latitude (a degree of latitude is ≥ 110.5 km).
 */
export function isolated(locations: readonly Location[], km: number): boolean[] {
  const order = locations.map((_, i) => i).sort((i, j) => locations[i]!.lat - locations[j]!.lat || i - j);
  const band = km / 110.5;
  const threshold = haversineOfKm(km);
  const out = new Array<boolean>(locations.length).fill(true);
  for (let x = 0; x < order.length; x++) {
    const a = locations[order[x]!]!;
    for (let y = x + 1; y < order.length; y++) {
      const b = locations[order[y]!]!;
      if (b.lat - a.lat > band) break;
      if (haversine(a, b) <= threshold) {
        out[order[x]!] = false;
        out[order[y]!] = false;
      }
    }
  }
  return out;
}
