//! Generates a Dart client package from the resource model (issue: typed clients).
