//! Generates a TypeScript client package from the resource model (issue: typed clients).
