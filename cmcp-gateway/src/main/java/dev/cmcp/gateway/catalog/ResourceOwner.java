package dev.cmcp.gateway.catalog;

/**
 * The server that serves every resource URI starting with {@code uriPrefix}, when several servers
 * offer it. Without one, such a URI is neither listed nor read, since guessing could hand one
 * server's request to another.
 */
public record ResourceOwner(String uriPrefix, String server) {}
