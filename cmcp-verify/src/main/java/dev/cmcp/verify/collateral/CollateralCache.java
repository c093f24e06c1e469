package dev.cmcp.verify.collateral;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.cmcp.verify.base.BoundedRead;
import dev.cmcp.verify.base.Digests;
import dev.cmcp.verify.base.StrictJson;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;

/**
 * What was fetched, kept on disk by URL so that a later run can do without the network
 * ({@code --collateral-cache DIR}). One file per URL: {@code DIR/<SHA-256 of the URL>.json}, a
 * JSON object with {@code url}, {@code fetched_at}, {@code body} (base64) and, for Intel's
 * answers, {@code issuer_chain} (the signing chain from the response header, URL-decoded PEM).
 *
 * <p>The cache is a convenience, not a trust store: whatever it holds is checked as if it had just
 * been fetched, and an entry that cannot be read, or whose URL is not the one asked for, is
 * treated as absent.
 */
abstract sealed class CollateralCache permits CollateralCache.None, CollateralCache.Folder {

  static final String VERSION = "cmcp-collateral-cache-v1";

  /** An entry as fetched. */
  record Entry(URI uri, Instant fetchedAt, byte[] body, Optional<String> issuerChain) {
    Entry {
      body = body.clone();
    }

    @Override
    public byte[] body() {
      return body.clone();
    }
  }

  static CollateralCache none() {
    return new None();
  }

  static CollateralCache in(Path dir) {
    return new Folder(dir);
  }

  abstract Optional<Entry> get(URI uri);

  /** Keeps {@code entry}; an empty result, or why it could not be kept (the run goes on without it). */
  abstract Optional<String> put(Entry entry);

  /** Where {@code uri}'s entry lives, for messages. */
  abstract String where(URI uri);

  static final class None extends CollateralCache {
    @Override
    Optional<Entry> get(URI uri) {
      return Optional.empty();
    }

    @Override
    Optional<String> put(Entry entry) {
      return Optional.empty();
    }

    @Override
    String where(URI uri) {
      return "no cache";
    }
  }

  static final class Folder extends CollateralCache {
    private final Path dir;

    Folder(Path dir) {
      this.dir = dir;
    }

    private Path file(URI uri) {
      return dir.resolve(Digests.sha256Hex(uri.toString().getBytes(StandardCharsets.UTF_8)) + ".json");
    }

    @Override
    String where(URI uri) {
      return file(uri).toString();
    }

    @Override
    Optional<Entry> get(URI uri) {
      Path file = file(uri);
      try {
        JsonNode json = new StrictJson().parse(
            BoundedRead.read(file, 2 * Download.MAX_BODY_BYTES, "a collateral cache entry"));
        if (!VERSION.equals(json.path("format").asText()) || !uri.toString().equals(json.path("url").asText())) {
          return Optional.empty();
        }
        Optional<String> chain = json.hasNonNull("issuer_chain")
            ? Optional.of(json.get("issuer_chain").asText()) : Optional.empty();
        return Optional.of(new Entry(uri, Instant.parse(json.path("fetched_at").asText()),
            Base64.getDecoder().decode(json.path("body").asText()), chain));
      } catch (NoSuchFileException e) {
        return Optional.empty();
      } catch (IOException | StrictJson.MalformedJsonException | RuntimeException e) {
        // A damaged entry is a miss: the answer is fetched again and the entry rewritten.
        return Optional.empty();
      }
    }

    @Override
    Optional<String> put(Entry entry) {
      ObjectNode json = new ObjectMapper().createObjectNode();
      json.put("format", VERSION);
      json.put("url", entry.uri().toString());
      json.put("fetched_at", entry.fetchedAt().toString());
      entry.issuerChain().ifPresent(chain -> json.put("issuer_chain", chain));
      json.put("body", Base64.getEncoder().encodeToString(entry.body()));
      Path file = file(entry.uri());
      try {
        Files.createDirectories(dir);
        Path partial = Files.createTempFile(dir, ".partial-", ".json");
        try {
          Files.write(partial, new ObjectMapper().writeValueAsBytes(json));
          Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
          Files.deleteIfExists(partial);
        }
        return Optional.empty();
      } catch (IOException e) {
        return Optional.of("cannot write the collateral cache entry " + file + ": " + e.getMessage());
      }
    }
  }
}
