// Public surface of the shared go-bexpr engine: the embedded catalog's `?filter=` and the
// service-resolver subset filters of the discovery chain use this one implementation.
export { type CompiledFilter, compileFilter } from "./compile-filter.js";
export { type BexprExpression, type BexprMatch, type BexprOperator, BexprSyntaxError, parseBexpr } from "./parse-bexpr.js";
