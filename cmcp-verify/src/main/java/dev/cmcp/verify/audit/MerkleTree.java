package dev.cmcp.verify.audit;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;

/**
 * The Merkle tree of RFC 9162 section 2.1 over SHA-256, append-only.
 *
 * <p>Leaf hash = H(0x00 || leaf data), node hash = H(0x01 || left || right); the tree of n
 * leaves splits at the largest power of two smaller than n; the tree of no leaves hashes to
 * H(""). In cMCP the leaf data of entry i is its 32-byte entry hash ({@link AuditEntry#entryHash}).
 *
 * <p>The tree keeps the hash of every complete (power-of-two) subtree, so a root or an
 * inclusion proof for any prefix costs O(log^2 n) hashes instead of rehashing the log: the
 * gateway issues claims while its log grows. Memory is about two hashes per leaf. Instances
 * are safe for concurrent use; {@code root(size)} and {@code inclusionProof(index, size)} name
 * the tree size explicitly, so a claim stays consistent while entries are appended.
 */
public final class MerkleTree {

  private static final byte LEAF_PREFIX = 0x00;
  private static final byte NODE_PREFIX = 0x01;

  /**
   * {@code complete.get(level).get(i)} is the hash of the complete subtree of 2^level leaves
   * that starts at leaf {@code i * 2^level}; level 0 holds the leaf hashes.
   */
  private final List<List<byte[]>> complete = new ArrayList<>();

  public MerkleTree() {}

  /** A tree of the given leaves, in order. */
  public static MerkleTree of(List<byte[]> leaves) {
    MerkleTree tree = new MerkleTree();
    leaves.forEach(tree::append);
    return tree;
  }

  /** RFC 9162 MTH of {@code leaves}: the root of a tree built from them, 32 bytes. */
  public static byte[] root(List<byte[]> leaves) {
    return of(leaves).root();
  }

  public synchronized void append(byte[] leafData) {
    byte[] hash = leafHash(leafData);
    for (int level = 0; ; level++) {
      if (complete.size() == level) {
        complete.add(new ArrayList<>());
      }
      List<byte[]> row = complete.get(level);
      row.add(hash);
      if (row.size() % 2 == 1) {
        return;
      }
      // This append completed a pair: their parent is a complete subtree one level up.
      hash = nodeHash(row.get(row.size() - 2), hash);
    }
  }

  public synchronized int size() {
    return complete.isEmpty() ? 0 : complete.get(0).size();
  }

  /** The root of the whole tree. */
  public synchronized byte[] root() {
    return root(size());
  }

  /** The root of the tree of the first {@code size} leaves. */
  public synchronized byte[] root(int size) {
    if (size < 0 || size > size()) {
      throw new IllegalArgumentException("tree size " + size + " is outside 0.." + size());
    }
    return size == 0 ? sha256(new byte[0]) : subtreeHash(0, size).clone();
  }

  /**
   * The RFC 9162 audit path of leaf {@code index} in the tree of the first {@code size} leaves:
   * sibling hashes from the leaf up to the root.
   */
  public synchronized List<byte[]> inclusionProof(int index, int size) {
    if (size < 1 || size > size() || index < 0 || index >= size) {
      throw new IllegalArgumentException(
          "no leaf " + index + " in a tree of size " + size + " (the tree holds " + size() + " leaves)");
    }
    List<byte[]> path = new ArrayList<>();
    collectPath(index, 0, size, path);
    return path.stream().map(byte[]::clone).toList();
  }

  /**
   * RFC 9162 section 2.1.3.2: true when {@code proof} leads from {@code leafData} at
   * {@code index} to {@code root} in a tree of {@code size} leaves. Any malformed input
   * (index outside the tree, a hash that is not 32 bytes, a proof too short or too long) is
   * simply not a proof.
   */
  public static boolean verifyInclusion(byte[] leafData, long index, long size, List<byte[]> proof, byte[] root) {
    if (index < 0 || index >= size || root == null || root.length != 32) {
      return false;
    }
    long fn = index;
    long sn = size - 1;
    byte[] r = leafHash(leafData);
    for (byte[] p : proof) {
      if (sn == 0 || p == null || p.length != 32) {
        return false;
      }
      if ((fn & 1) == 1 || fn == sn) {
        r = nodeHash(p, r);
        // A right-most node with no sibling at this level moves up without hashing.
        while ((fn & 1) == 0 && fn != 0) {
          fn >>= 1;
          sn >>= 1;
        }
      } else {
        r = nodeHash(r, p);
      }
      fn >>= 1;
      sn >>= 1;
    }
    return sn == 0 && MessageDigest.isEqual(r, root);
  }

  /**
   * MTH of leaves [start, start + count). Ranges reached from the root always start at a
   * multiple of their largest power of two, so a power-of-two range is a stored complete subtree.
   */
  private byte[] subtreeHash(int start, int count) {
    if (Integer.bitCount(count) == 1) {
      int level = Integer.numberOfTrailingZeros(count);
      return complete.get(level).get(start >> level);
    }
    int k = largestPowerOfTwoBelow(count);
    return nodeHash(subtreeHash(start, k), subtreeHash(start + k, count - k));
  }

  /** Appends the audit path of leaf {@code index} within [start, start + count), leaf side first. */
  private void collectPath(int index, int start, int count, List<byte[]> path) {
    if (count == 1) {
      return;
    }
    int k = largestPowerOfTwoBelow(count);
    if (index < start + k) {
      collectPath(index, start, k, path);
      path.add(subtreeHash(start + k, count - k));
    } else {
      collectPath(index, start + k, count - k, path);
      path.add(subtreeHash(start, k));
    }
  }

  private static int largestPowerOfTwoBelow(int n) {
    return Integer.highestOneBit(n - 1);
  }

  private static byte[] leafHash(byte[] leafData) {
    MessageDigest sha = sha256();
    sha.update(LEAF_PREFIX);
    sha.update(leafData);
    return sha.digest();
  }

  private static byte[] nodeHash(byte[] left, byte[] right) {
    MessageDigest sha = sha256();
    sha.update(NODE_PREFIX);
    sha.update(left);
    sha.update(right);
    return sha.digest();
  }

  private static byte[] sha256(byte[] data) {
    return sha256().digest(data);
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
