package io.rbdgw.admin.cli;

import io.rbdgw.admin.api.AuthRequest;
import io.rbdgw.admin.api.ChapRequest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/** CHAP options shared by target, client and discovery auth. */
final class ChapOptions {
    @Option(names = "--chap-user", required = true, description = "CHAP user name (8-64 characters)")
    String user;

    @Option(names = "--chap-secret", description = "CHAP secret (visible in ps; prefer --chap-secret-file)")
    String secret;

    @Option(names = "--chap-secret-file", description = "file whose first line is the CHAP secret")
    Path secretFile;

    @Option(names = "--mutual-user", description = "mutual CHAP user (the target's name towards the initiator)")
    String mutualUser;

    @Option(names = "--mutual-secret", description = "mutual CHAP secret")
    String mutualSecret;

    @Option(names = "--mutual-secret-file", description = "file whose first line is the mutual CHAP secret")
    Path mutualSecretFile;

    AuthRequest request() throws IOException {
        ChapRequest chap = new ChapRequest(user, secret(secret, secretFile, "--chap-secret"));
        ChapRequest mutual = mutualUser == null
                ? null
                : new ChapRequest(mutualUser, secret(mutualSecret, mutualSecretFile, "--mutual-secret"));
        return new AuthRequest(chap, mutual);
    }

    private static String secret(String value, Path file, String option) throws IOException {
        if (file != null) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            return lines.isEmpty() ? "" : lines.get(0).strip();
        }
        if (value == null) {
            throw new IllegalArgumentException(option + " or " + option + "-file is required");
        }
        return value;
    }
}
