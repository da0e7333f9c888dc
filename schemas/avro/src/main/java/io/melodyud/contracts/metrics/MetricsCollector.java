package io.melodyud.contracts.metrics;

/**
 * Adds an application's metrics to a scrape. Called on the HTTP server's thread, once per scrape, while the
 * application runs: it reads counters and gauges the application keeps up to date, and must neither block on the
 * application's locks nor iterate its state stores.
 */
@FunctionalInterface
public interface MetricsCollector {

    void collect(PrometheusText out);
}
