package io.rbdgw.node;

import static io.rbdgw.node.Scrapes.sample;
import static io.rbdgw.node.Scrapes.scrape;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.rbdgw.config.model.ConfigChange;
import io.rbdgw.config.model.Target;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rbdgw_config_applied_epoch and rbdgw_config_latest_epoch follow the configuration a real gateway applies. */
class ConfigEpochMetricsTest {
    @TempDir
    Path dir;

    @Test
    void appliedAndLatestEpochsFollowTheConfiguration() throws Exception {
        StandaloneCommand cmd = Scrapes.memoryGateway(dir, "4M");
        try (StandaloneCommand.Running r = cmd.start()) {
            String url = r.gateway.metricsUrl();
            long first = r.store.epoch();
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String m = scrape(url);
                assertThat(sample(m, "rbdgw_config_applied_epoch")).isEqualTo(first);
                assertThat(sample(m, "rbdgw_config_latest_epoch")).isEqualTo(first);
            });
            long next = r.store.apply(first, new ConfigChange.PutTarget(Target.of("iqn.2026-12.io.rbdgw:second")));
            assertThat(next).isGreaterThan(first);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                String m = scrape(url);
                assertThat(sample(m, "rbdgw_config_latest_epoch")).isEqualTo(next);
                assertThat(sample(m, "rbdgw_config_applied_epoch")).isEqualTo(next);
            });
        }
    }
}
