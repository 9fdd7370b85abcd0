package io.rbdgw.config.secret;

import io.rbdgw.config.model.Authentication;
import io.rbdgw.config.model.ChapCredentials;
import io.rbdgw.config.model.ClusterConfig;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/** Every CHAP secret of a configuration: targets', clients' and discovery's, one-way and mutual. */
public final class Secrets {
    private Secrets() {}

    /** The configuration with every secret replaced by {@code f(secret)}. */
    public static ClusterConfig map(ClusterConfig c, UnaryOperator<String> f) {
        return new ClusterConfig(
                c.epoch(),
                c.schema(),
                c.targets().stream().map(t -> t.withAuth(map(t.auth(), f))).toList(),
                c.disks(),
                c.gateways(),
                c.luns(),
                c.clients().stream().map(x -> x.withAuth(map(x.auth(), f))).toList(),
                c.hostGroups(),
                map(c.discoveryAuth(), f),
                c.settings());
    }

    public static void forEach(ClusterConfig c, Consumer<String> each) {
        map(c, s -> {
            each.accept(s);
            return s;
        });
    }

    public static Authentication map(Authentication a, UnaryOperator<String> f) {
        if (a == null || a.chap() == null) {
            return a;
        }
        return new Authentication(map(a.chap(), f), map(a.mutualChap(), f));
    }

    private static ChapCredentials map(ChapCredentials c, UnaryOperator<String> f) {
        return c == null ? null : new ChapCredentials(c.user(), f.apply(c.secret()));
    }
}
