package dev.cmcp.gateway.http;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.io.Connection;

/**
 * Closes a new connection when its client address already holds {@code max} open ones, so that one
 * client cannot take every connection (Jetty's own limits count all clients together). Listens
 * to every connection of the connector it is added to as a bean.
 */
final class ConnectionsPerAddress implements Connection.Listener {

  private final int max;
  private final Map<InetAddress, Integer> open = new ConcurrentHashMap<>();
  /** Each counted connection's address: a closed endpoint no longer tells its remote address. */
  private final Map<Connection, InetAddress> counted = new ConcurrentHashMap<>();

  /** @param max open connections allowed from one address; 0 for no limit */
  ConnectionsPerAddress(int max) {
    this.max = max;
  }

  @Override
  public void onOpened(Connection connection) {
    InetAddress address = address(connection);
    if (max == 0 || address == null) {
      return;
    }
    counted.put(connection, address);
    int count = open.merge(address, 1, Integer::sum);
    if (count > max) {
      // Counted all the same: onClosed follows and takes it back.
      connection.getEndPoint().close();
    }
  }

  @Override
  public void onClosed(Connection connection) {
    InetAddress address = counted.remove(connection);
    if (address == null) {
      return;
    }
    open.computeIfPresent(address, (a, n) -> n <= 1 ? null : n - 1);
  }

  private static InetAddress address(Connection connection) {
    SocketAddress remote = connection.getEndPoint().getRemoteSocketAddress();
    return remote instanceof InetSocketAddress inet ? inet.getAddress() : null;
  }
}
