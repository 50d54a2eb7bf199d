// The local network's stand-in for request.cf's place: a header a local node sends as
// "lat,lon". The edge honours it only under LOCAL_DEV=1 (worker/nodes/routes.ts edgeLocation);
// in production a node's word about where it is counts for nothing.
export const DEV_LOCATION_HEADER = "x-vidya-dev-location";
