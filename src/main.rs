use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use igv_relay::configuration::Settings;
use igv_relay::startup::Application;
use igv_relay::telemetry;

/// View-in-IGV link pages and a validating relay to IGV desktop.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    /// Configuration file (YAML or TOML), layered over the built-in defaults.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web service (the default).
    Serve {
        /// Address to listen on, e.g. 127.0.0.1:8080 (overrides server.bind).
        #[arg(long)]
        bind: Option<String>,
        /// A directory of result files to serve as a data root (repeatable).
        #[arg(long = "data-dir")]
        data_dirs: Vec<PathBuf>,
    },
    /// Print the effective configuration, or what is wrong with it.
    CheckConfig,
    /// Exit 0 when the service at server.bind answers /healthz (for container
    /// health checks; slim images have no curl).
    Healthcheck,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut settings = match Settings::load(cli.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("igv-relay: {e}");
            return ExitCode::FAILURE;
        }
    };
    match cli.command.unwrap_or(Command::Serve {
        bind: None,
        data_dirs: Vec::new(),
    }) {
        Command::CheckConfig => check_config(settings),
        Command::Healthcheck => healthcheck(&settings.server.bind),
        Command::Serve { bind, data_dirs } => {
            if let Some(bind) = bind {
                settings.server.bind = bind;
            }
            settings.add_data_dirs(&data_dirs);
            serve(settings)
        }
    }
}

fn check_config(settings: Settings) -> ExitCode {
    // Genomes and data roots are loaded exactly as `serve` would load them.
    let address = "127.0.0.1:0".parse().expect("a literal socket address");
    let state = settings
        .public_url(address)
        .map_err(|e| e.to_string())
        .and_then(|url| {
            igv_relay::startup::AppState::new(settings.clone(), url).map_err(|e| e.to_string())
        });
    match state.and_then(|_| serde_json::to_string_pretty(&settings).map_err(|e| e.to_string())) {
        Ok(text) => {
            println!("{text}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("igv-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn serve(settings: Settings) -> ExitCode {
    telemetry::init(&settings.log.format, &settings.log.level);
    let result = actix_web::rt::System::new().block_on(async move {
        let app = Application::build(settings).map_err(|e| e.to_string())?;
        tracing::info!(url = %app.public_url(), "igv-relay listening");
        app.run_until_stopped().await.map_err(|e| e.to_string())
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("igv-relay: {e}");
            ExitCode::FAILURE
        }
    }
}

fn healthcheck(bind: &str) -> ExitCode {
    use std::io::{Read, Write};
    use std::net::{SocketAddr, TcpStream};
    use std::time::Duration;

    let Ok(mut address) = bind.parse::<SocketAddr>() else {
        eprintln!("igv-relay: server.bind {bind:?} is not an address");
        return ExitCode::FAILURE;
    };
    if address.ip().is_unspecified() {
        address.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
    }
    let answer = TcpStream::connect_timeout(&address, Duration::from_secs(3)).and_then(|mut s| {
        s.set_read_timeout(Some(Duration::from_secs(3)))?;
        s.write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")?;
        let mut head = [0u8; 12];
        s.read_exact(&mut head)?;
        Ok(head)
    });
    match answer {
        Ok(head) if head.starts_with(b"HTTP/1.1 200") => ExitCode::SUCCESS,
        Ok(head) => {
            eprintln!(
                "igv-relay: /healthz answered {}",
                String::from_utf8_lossy(&head)
            );
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("igv-relay: /healthz at {address}: {e}");
            ExitCode::FAILURE
        }
    }
}
