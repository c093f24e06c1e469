package dev.cmcp.verify.audit;

/**
 * The state of an audit chain after {@code length} entries: the Merkle root over their entry
 * hashes and the hash of the last one (the tip), both lower-case hex.
 *
 * <p>For an empty chain the root is SHA-256 of the empty string (RFC 9162) and the tip is
 * {@link AuditEntry#NO_PREDECESSOR}.
 */
public record ChainHead(long length, String root, String tip) {}
