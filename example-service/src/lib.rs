//! A project tracker built with Resourceful.

pub mod demo;
pub mod resources;

use resourceful::{App, Config};

/// The application: every resource registered once.
pub fn app(config: Config) -> App {
    App::new(config)
        .resource::<resources::Project>()
        .resource::<resources::Task>()
        .resource::<resources::Comment>()
}
