package dev.cmcp.gateway.audit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.UUID;

/**
 * {@code audit_dir/current}: a symbolic link to the audit log of the gateway that last started
 * serving from this folder, so that the file an auditor needs has a name one can type
 * ({@code cmcp verify --audit-log cmcp-audit/current}). It is a convenience, never read by the
 * gateway: its name matches no {@code audit-*.jsonl} pattern, so nothing takes it for an epoch.
 */
public final class CurrentLink {

  public static final String NAME = "current";

  private CurrentLink() {}

  /**
   * Points {@code audit_dir/current} at {@code log}'s file, replacing the link of an earlier start
   * in one rename, so a reader never finds it missing or half made.
   *
   * @return the link
   * @throws IOException when the folder cannot hold a symbolic link (some file systems cannot)
   */
  public static Path point(AuditLog log) throws IOException {
    Path directory = log.file().getParent();
    Path link = directory.resolve(NAME);
    if (Files.exists(link) && !Files.isSymbolicLink(link)) {
      throw new IOException(link + " exists and is not a link; move it away to have it point at the current audit log");
    }
    Path temporary = directory.resolve("." + NAME + "-" + UUID.randomUUID());
    try {
      // Relative, so the folder can be copied or mounted elsewhere with the link still right.
      Files.createSymbolicLink(temporary, log.file().getFileName());
      Files.move(temporary, link, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (UnsupportedOperationException e) {
      throw new IOException("this file system has no symbolic links", e);
    } finally {
      Files.deleteIfExists(temporary);
    }
    return link;
  }
}
