mod support;
use resourceful::testing::Backend;
use support::Ctx;

#[tokio::test]
async fn dump() {
    let ctx = Ctx::new(Backend::Sqlite).await;
    let r = ctx.get("/openapi.json").await;
    std::fs::write("/tmp/oas-dump.json", serde_json::to_string_pretty(&r.json).unwrap()).unwrap();
    ctx.cleanup().await;
}
