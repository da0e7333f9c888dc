package io.melodyud.topologies.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.util.Map;

/**
 * The live dashboard: one page ({@code GET /}) served by the play-analytics HTTP API, which polls the JSON routes
 * of the applications: charts and track counts from play analytics itself, royalties and ad pacing from the
 * royalties and ad-report applications through {@code /dashboard/api/royalties/...} and
 * {@code /dashboard/api/ads/...}. Going through this API keeps the page on one origin (no CORS) and lets each
 * application be deployed on its own; an application not configured answers 503 and its panel says so.
 */
public final class Dashboard {

    static final String PAGE = "/dashboard/index.html";

    private Dashboard() {
    }

    /**
     * @param royaltiesUrl base URL of a royalties instance's HTTP API (any instance answers), or empty
     * @param adReportsUrl base URL of an ad-reports instance's HTTP API, or empty
     */
    public static void register(final QueryServer server, final String royaltiesUrl, final String adReportsUrl) {
        final byte[] page = resource(PAGE);
        server.page("/", "text/html; charset=utf-8", page);
        server.page("/dashboard", "text/html; charset=utf-8", page);
        server.json("/dashboard/api/royalties/", uri -> proxy(server, royaltiesUrl, uri,
            "/dashboard/api/royalties/", "/royalties/"));
        server.json("/dashboard/api/ads/", uri -> proxy(server, adReportsUrl, uri, "/dashboard/api/ads/", "/"));
    }

    private static QueryServer.Answer proxy(final QueryServer server, final String base, final URI uri,
                                            final String prefix, final String targetPrefix) {
        if (base == null || base.isBlank()) {
            return new QueryServer.Answer(503, Map.of("error", "not configured on this instance (dashboard.*.url)"));
        }
        final String rest = uri.getRawPath().substring(prefix.length());
        if (!rest.matches("[A-Za-z0-9/_-]*")) {
            return QueryServer.Answer.badRequest("unexpected path");
        }
        return server.fetch(URI.create(base.replaceAll("/+$", "") + targetPrefix + rest
            + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery())));
    }

    private static byte[] resource(final String name) {
        try (InputStream in = Dashboard.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + name);
            }
            return in.readAllBytes();
        } catch (final IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
