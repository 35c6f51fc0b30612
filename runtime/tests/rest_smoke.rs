mod support;
use serde_json::json;

both_backends! {
    async fn create_then_get(ctx: &Ctx) {
        let p = ctx.project("Alpha").await;
        let t = ctx.task(p, "Write docs", json!({"priority": 2})).await;
        let r = ctx.get(&format!("/v1/tasks/{}", t["id"])).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(r.json["title"], "Write docs");
        assert_eq!(r.json["status"], "todo");
    }
}
