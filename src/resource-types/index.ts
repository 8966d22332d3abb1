// The one table of served resource types (type URL, schema, SotW state semantics, ADS order,
// parent → child pairs) that mapping, validate, snapshot, publish and xds all read, and the one file
// that spells type URLs.
export {
  type AdsPhase,
  adsPhases,
  adsTypeOrder,
  deltaAdsPhases,
  isChildType,
  isFullStateType,
  isXdsTypeUrl,
  parentChildTypes,
  type ResourceType,
  resourceType,
  resourceTypes,
  shortTypeName,
} from "./resource-type-table.js";
export {
  clusterType,
  endpointType,
  extensionTypeUrls,
  listenerType,
  routeType,
  typeNameOf,
  typeUrlOf,
  type XdsTypeUrl,
} from "./type-urls.js";
