use resourceful::prelude::*;

#[api_enum]
pub enum Shape {
    Point,
    Circle(f64),
    Rect { w: f64, h: f64 },
}

fn main() {}
