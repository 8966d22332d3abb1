/**
 * Fields whose string rules carry `ignore_empty: true` in Envoy's protos. scripts/generate.mjs strips
 * that option (the bundled validate.proto predates it), so the descriptors no longer say it; this
 * list puts it back so an unset header name is not reported. Full names: `<message>.<field>`.
 */
export const ignoreEmptyFields: ReadonlySet<string> = new Set([
  "envoy.config.core.v3.UpstreamHttpProtocolOptions.override_auto_sni_header",
  "envoy.config.core.v3.AlternateProtocolsCacheOptions.AlternateProtocolsCacheEntry.hostname",
]);
