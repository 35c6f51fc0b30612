//! Metric names (Prometheus conventions) and their descriptions.

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const HTTP_REQUEST_SIZE: &str = "http_request_size_bytes";
pub const HTTP_RESPONSE_SIZE: &str = "http_response_size_bytes";
pub const HTTP_IN_FLIGHT: &str = "http_requests_in_flight";
pub const RATE_SHORT: &str = "http_request_rate_short";
pub const RATE_BASELINE: &str = "http_request_rate_baseline";
pub const SPIKE_RATIO: &str = "http_traffic_spike_ratio";
pub const SPIKES: &str = "http_traffic_spikes_total";
pub const GRAPHQL_OPS: &str = "graphql_operations_total";
pub const GRAPHQL_DURATION: &str = "graphql_operation_duration_seconds";
pub const GRAPHQL_PLANNED: &str = "graphql_planned_operations_total";
pub const DB_QUERY: &str = "db_query_duration_seconds";
pub const DB_ROWS: &str = "db_rows_returned";
pub const DB_POOL: &str = "db_pool_connections";
pub const DB_POOL_MAX: &str = "db_pool_max_connections";
pub const DB_POOL_WAITERS: &str = "db_pool_waiters";
pub const DB_POOL_ACQUIRE: &str = "db_pool_acquire_duration_seconds";
pub const CACHE: &str = "cache_requests_total";
pub const RATE_LIMIT: &str = "rate_limit_decisions_total";
pub const RATE_LIMIT_BACKEND: &str = "rate_limit_backend_failures_total";
pub const RATE_LIMIT_LEASES: &str = "rate_limit_leases_total";
pub const REDIS_ERRORS: &str = "redis_errors_total";
pub const HEALTH: &str = "health_check_status";
pub const HEALTH_DURATION: &str = "health_check_duration_seconds";
pub const READY: &str = "health_ready";
/// Audit records lost: the queue was full or the database refused them.
pub const AUDIT_DROPPED: &str = "audit_records_dropped_total";
/// REST requests by `resource` and API `version`: when an older version's
/// count stays at zero, it can be retired.
pub const API_VERSION_REQUESTS: &str = "api_version_requests_total";
/// Maintenance windows by `state` (`active`, `upcoming`) and `mode`.
pub const MAINTENANCE_WINDOWS: &str = "maintenance_windows";
/// Seconds until the next window starts (-1: none scheduled).
pub const MAINTENANCE_NEXT_START: &str = "maintenance_next_start_seconds";
/// Requests refused by a window, by `mode`.
pub const MAINTENANCE_REFUSED: &str = "maintenance_refused_requests_total";
/// Webhook deliveries by `outcome` (`delivered`, `retry`, `gave_up`).
pub const MAINTENANCE_WEBHOOKS: &str = "maintenance_webhook_deliveries_total";

/// Descriptions for the recorder.
pub fn describe() {
    use metrics::{describe_counter, describe_gauge, describe_histogram, Unit};
    describe_gauge!(HTTP_IN_FLIGHT, "HTTP requests being served");
    describe_counter!(
        API_VERSION_REQUESTS,
        "REST requests per resource and API version (an older version at zero can be retired)"
    );
    describe_gauge!(
        MAINTENANCE_WINDOWS,
        "Maintenance windows by state (active, upcoming) and mode"
    );
    describe_gauge!(
        MAINTENANCE_NEXT_START,
        Unit::Seconds,
        "Seconds until the next maintenance window starts (-1: none)"
    );
    describe_counter!(
        MAINTENANCE_REFUSED,
        "Requests refused by an active maintenance window, by mode"
    );
    describe_counter!(
        MAINTENANCE_WEBHOOKS,
        "Maintenance webhook deliveries by outcome"
    );
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests by route template, method, status class and resource"
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "HTTP request latency (api_latency)"
    );
    describe_histogram!(HTTP_REQUEST_SIZE, Unit::Bytes, "HTTP request body size");
    describe_histogram!(HTTP_RESPONSE_SIZE, Unit::Bytes, "HTTP response body size");
    describe_gauge!(RATE_SHORT, "Requests per second over the last minute");
    describe_gauge!(
        RATE_BASELINE,
        "Requests per second over the last 15 minutes"
    );
    describe_gauge!(
        SPIKE_RATIO,
        "Short-window rate divided by the baseline (0 below the baseline floor)"
    );
    describe_counter!(SPIKES, "Times the spike ratio crossed the spike threshold");
    describe_counter!(GRAPHQL_OPS, "GraphQL operations by type and name");
    describe_histogram!(GRAPHQL_DURATION, Unit::Seconds, "GraphQL operation latency");
    describe_counter!(
        GRAPHQL_PLANNED,
        "Queries with a plan: answered by it, or left to the executor"
    );
    describe_histogram!(
        DB_QUERY,
        Unit::Seconds,
        "Database time per resource operation (budget: 30 ms)"
    );
    describe_histogram!(DB_ROWS, "Rows returned per resource operation");
    describe_gauge!(DB_POOL, "Database pool connections by state (idle, in_use)");
    describe_gauge!(DB_POOL_MAX, "Database pool size limit");
    describe_gauge!(DB_POOL_WAITERS, "Tasks waiting for a database connection");
    describe_histogram!(
        DB_POOL_ACQUIRE,
        Unit::Seconds,
        "Time to acquire a database connection"
    );
    describe_counter!(CACHE, "Read-through cache lookups by result (hit, miss)");
    describe_counter!(
        RATE_LIMIT,
        "Rate-limit decisions by policy (allowed, limited)"
    );
    describe_counter!(
        RATE_LIMIT_BACKEND,
        "Rate-limit decisions taken without the shared backend (fail_open, fail_closed)"
    );
    describe_counter!(
        RATE_LIMIT_LEASES,
        "Batches of tokens leased from the shared backend, by policy"
    );
    describe_counter!(REDIS_ERRORS, "Redis command failures by operation");
    describe_counter!(
        AUDIT_DROPPED,
        "Audit records lost (the queue was full, or the database refused them)"
    );
    describe_gauge!(HEALTH, "Dependency health (1 up, 0 down)");
    describe_histogram!(
        HEALTH_DURATION,
        Unit::Seconds,
        "Dependency health check latency"
    );
    describe_gauge!(READY, "Readiness (1 ready, 0 not ready)");
}
