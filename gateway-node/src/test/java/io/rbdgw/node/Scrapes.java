package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** A standalone gateway on memory disks with its metrics served, and reading them, for tests. */
final class Scrapes {
    private Scrapes() {}

    /**
     * A standalone gateway with data in {@code dir}, everything on ephemeral loopback ports, one memory LUN of
     * {@code lunSize}, and {@code more} options; not started.
     */
    static StandaloneCommand memoryGateway(Path dir, String lunSize, String... more) {
        List<String> args = new ArrayList<>(List.of(
                "--data-dir",
                dir.resolve("data").toString(),
                "--listen",
                "127.0.0.1:0",
                "--admin-listen",
                "127.0.0.1:0",
                "--metrics-listen",
                "127.0.0.1:0",
                "--memory",
                "--lun-size",
                lunSize));
        args.addAll(List.of(more));
        StandaloneCommand cmd = new StandaloneCommand();
        new CommandLine(cmd).parseArgs(args.toArray(String[]::new));
        return cmd;
    }

    /** The whole exposition from {@code url}, which must answer 200. */
    static String scrape(String url) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient()
                .send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).isEqualTo(200);
        return r.body();
    }

    /** The value of the first sample of {@code name} (any labels), NaN if there is none. */
    static double sample(String metrics, String name) {
        return metrics.lines()
                .filter(l -> l.startsWith(name + "{") || l.startsWith(name + " "))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
                .findFirst()
                .orElse(Double.NaN);
    }
}
