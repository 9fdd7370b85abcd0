package io.rbdgw.node;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class MainTest {

    private String savedCache;
    private ResourceLeakDetector.Level savedLevel;

    @BeforeEach
    void save() {
        savedCache = System.getProperty(Main.MAX_CACHED_BUFFER_PROPERTY);
        savedLevel = ResourceLeakDetector.getLevel();
    }

    @AfterEach
    void restore() {
        if (savedCache == null) {
            System.clearProperty(Main.MAX_CACHED_BUFFER_PROPERTY);
        } else {
            System.setProperty(Main.MAX_CACHED_BUFFER_PROPERTY, savedCache);
        }
        ResourceLeakDetector.setLevel(savedLevel);
    }

    @Test
    void theThreadCachesKeepBuffersOfTwoMebibytesUnlessTheOperatorSaysOtherwise() {
        System.clearProperty(Main.MAX_CACHED_BUFFER_PROPERTY);
        Main.applyNettyDefaults();
        assertThat(System.getProperty(Main.MAX_CACHED_BUFFER_PROPERTY)).isEqualTo(Integer.toString(2 << 20));

        System.setProperty(Main.MAX_CACHED_BUFFER_PROPERTY, "65536");
        Main.applyNettyDefaults();
        assertThat(System.getProperty(Main.MAX_CACHED_BUFFER_PROPERTY)).isEqualTo("65536");
    }

    @Test
    void aLeakDetectionLevelGivenOnTheCommandLineIsKept() {
        // the build runs every test JVM with -Dio.netty.leakDetection.level=PARANOID
        assertThat(System.getProperty(Main.LEAK_DETECTION_PROPERTY)).isEqualToIgnoringCase("paranoid");
        Main.applyNettyDefaults();
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
    }
}
