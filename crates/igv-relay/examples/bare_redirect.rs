//! The framework's ceiling for `benches/relay.sh`: actix-web answering the
//! relay's 303 with no validation, middleware or logging, on as many workers
//! as the relay. `bare_redirect ADDR` (e.g. 127.0.0.1:0; prints the port).

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};

async fn goto(req: HttpRequest) -> HttpResponse {
    let locus = req.query_string().strip_prefix("locus=").unwrap_or("");
    HttpResponse::SeeOther()
        .insert_header((
            "location",
            format!("http://127.0.0.1:60151/goto?locus={locus}"),
        ))
        .finish()
}

fn main() -> std::io::Result<()> {
    let address = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".to_owned());
    actix_web::rt::System::new().block_on(async move {
        let server = HttpServer::new(|| App::new().route("/igv/goto", web::get().to(goto)))
            .bind(&address)?;
        for a in server.addrs() {
            println!("{}", a.port());
        }
        server.run().await
    })
}
