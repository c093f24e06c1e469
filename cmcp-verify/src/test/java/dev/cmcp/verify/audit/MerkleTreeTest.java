package dev.cmcp.verify.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cmcp.verify.base.Digests;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class MerkleTreeTest {

  private static final HexFormat HEX = HexFormat.of();

  /** The leaves of the Certificate Transparency (RFC 6962) reference tests. */
  private static final List<byte[]> CT_LEAVES = List.of(
      HEX.parseHex(""), HEX.parseHex("00"), HEX.parseHex("10"), HEX.parseHex("2021"), HEX.parseHex("3031"),
      HEX.parseHex("40414243"), HEX.parseHex("5051525354555657"), HEX.parseHex("606162636465666768696a6b6c6d6e6f"));

  /** CT_ROOTS[n] is the published root of the tree of the first n leaves. */
  private static final List<String> CT_ROOTS = List.of(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
      "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
      "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
      "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
      "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
      "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
      "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
      "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328");

  @Test
  void rootsMatchTheCertificateTransparencyVectorsForEveryPrefix() {
    MerkleTree tree = MerkleTree.of(CT_LEAVES);
    for (int n = 0; n <= CT_LEAVES.size(); n++) {
      assertThat(HEX.formatHex(tree.root(n))).as("root of %d leaves", n).isEqualTo(CT_ROOTS.get(n));
      assertThat(HEX.formatHex(MerkleTree.root(CT_LEAVES.subList(0, n)))).isEqualTo(CT_ROOTS.get(n));
    }
  }

  @Test
  void auditPathsMatchTheCertificateTransparencyVectors() {
    MerkleTree tree = MerkleTree.of(CT_LEAVES);
    assertThat(hex(tree.inclusionProof(0, 1))).isEmpty();
    assertThat(hex(tree.inclusionProof(0, 8))).containsExactly(
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4");
    assertThat(hex(tree.inclusionProof(5, 8))).containsExactly(
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7");
    assertThat(hex(tree.inclusionProof(2, 3))).containsExactly(
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125");
    assertThat(hex(tree.inclusionProof(1, 5))).containsExactly(
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b");
  }

  @Test
  void everyLeafOfEveryTreeUpTo17LeavesIsProvenAndAgreesWithTheTextbookDefinition() {
    List<byte[]> leaves = entryHashes(17);
    MerkleTree tree = MerkleTree.of(leaves);
    for (int size = 1; size <= 17; size++) {
      List<byte[]> prefix = leaves.subList(0, size);
      byte[] root = tree.root(size);
      assertThat(root).as("root of %d", size).isEqualTo(Textbook.mth(prefix));
      for (int index = 0; index < size; index++) {
        List<byte[]> proof = tree.inclusionProof(index, size);
        assertThat(hex(proof)).as("path of %d in %d", index, size).isEqualTo(hex(Textbook.path(index, prefix)));
        assertThat(MerkleTree.verifyInclusion(leaves.get(index), index, size, proof, root)).isTrue();
      }
    }
  }

  @Test
  void aProofFailsForAnotherLeafIndexSizeOrAnyAlteredHash() {
    List<byte[]> leaves = entryHashes(13);
    MerkleTree tree = MerkleTree.of(leaves);
    byte[] root = tree.root();
    for (int index = 0; index < 13; index++) {
      List<byte[]> proof = tree.inclusionProof(index, 13);
      byte[] leaf = leaves.get(index);
      assertThat(MerkleTree.verifyInclusion(leaves.get((index + 1) % 13), index, 13, proof, root)).isFalse();
      assertThat(MerkleTree.verifyInclusion(leaf, index + 1, 13, proof, root)).isFalse();
      if (index > 0) {
        assertThat(MerkleTree.verifyInclusion(leaf, index - 1, 13, proof, root)).isFalse();
      }
      for (int j = 0; j < proof.size(); j++) {
        List<byte[]> altered = new ArrayList<>(proof);
        byte[] hash = altered.get(j).clone();
        hash[j % 32] ^= 1;
        altered.set(j, hash);
        assertThat(MerkleTree.verifyInclusion(leaf, index, 13, altered, root)).isFalse();
      }
      List<byte[]> longer = new ArrayList<>(proof);
      longer.add(root);
      assertThat(MerkleTree.verifyInclusion(leaf, index, 13, longer, root)).isFalse();
      assertThat(MerkleTree.verifyInclusion(leaf, index, 13, proof.subList(0, proof.size() - 1), root)).isFalse();
    }
    // The tree size is bound by the claim's signature, not by the proof: for leaves whose path
    // has the same shape in a neighbouring size the proof still leads to the root. Where the
    // shape differs, the wrong size must fail.
    List<byte[]> lastLeafProof = tree.inclusionProof(12, 13);
    assertThat(MerkleTree.verifyInclusion(leaves.get(12), 12, 14, lastLeafProof, root)).isFalse();
    assertThat(MerkleTree.verifyInclusion(leaves.get(12), 12, 12, lastLeafProof, root)).isFalse();
    assertThat(MerkleTree.verifyInclusion(leaves.get(0), 13, 13, List.of(), root)).isFalse();
    assertThat(MerkleTree.verifyInclusion(leaves.get(0), -1, 13, List.of(), root)).isFalse();
  }

  @Test
  void anAppendedTreeKeepsTheRootsOfItsPrefixes() {
    List<byte[]> leaves = entryHashes(9);
    MerkleTree tree = new MerkleTree();
    List<byte[]> roots = new ArrayList<>();
    for (byte[] leaf : leaves) {
      tree.append(leaf);
      roots.add(tree.root());
    }
    for (int size = 1; size <= 9; size++) {
      assertThat(tree.root(size)).isEqualTo(roots.get(size - 1));
    }
  }

  @Test
  void aProofOutsideTheTreeIsRefused() {
    MerkleTree tree = MerkleTree.of(entryHashes(3));
    assertThatThrownBy(() -> tree.inclusionProof(3, 3)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tree.inclusionProof(0, 4)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> tree.root(4)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void returnedHashesCannotAlterTheTree() {
    MerkleTree tree = MerkleTree.of(entryHashes(4));
    byte[] root = tree.root();
    tree.root()[0] ^= 1;
    tree.inclusionProof(0, 4).get(0)[0] ^= 1;
    assertThat(tree.root()).isEqualTo(root);
    assertThat(MerkleTree.verifyInclusion(entryHashes(4).get(0), 0, 4, tree.inclusionProof(0, 4), root)).isTrue();
  }

  private static List<byte[]> entryHashes(int count) {
    return IntStream.range(0, count)
        .mapToObj(i -> Digests.sha256(("entry " + i).getBytes(StandardCharsets.UTF_8)))
        .toList();
  }

  private static List<String> hex(List<byte[]> hashes) {
    return hashes.stream().map(HEX::formatHex).toList();
  }

  /** RFC 9162 section 2.1 written as literally as possible, to check the cached tree against. */
  private static final class Textbook {
    static byte[] mth(List<byte[]> d) {
      if (d.isEmpty()) {
        return Digests.sha256(new byte[0]);
      }
      if (d.size() == 1) {
        return Digests.sha256(concat(new byte[] {0}, d.get(0)));
      }
      int k = split(d.size());
      return Digests.sha256(concat(new byte[] {1}, mth(d.subList(0, k)), mth(d.subList(k, d.size()))));
    }

    static List<byte[]> path(int m, List<byte[]> d) {
      if (d.size() == 1) {
        return List.of();
      }
      int k = split(d.size());
      List<byte[]> path = new ArrayList<>();
      if (m < k) {
        path.addAll(path(m, d.subList(0, k)));
        path.add(mth(d.subList(k, d.size())));
      } else {
        path.addAll(path(m - k, d.subList(k, d.size())));
        path.add(mth(d.subList(0, k)));
      }
      return path;
    }

    private static int split(int n) {
      int k = 1;
      while (k * 2 < n) {
        k *= 2;
      }
      return k;
    }

    private static byte[] concat(byte[]... parts) {
      int length = 0;
      for (byte[] part : parts) {
        length += part.length;
      }
      byte[] out = new byte[length];
      int at = 0;
      for (byte[] part : parts) {
        System.arraycopy(part, 0, out, at, part.length);
        at += part.length;
      }
      return out;
    }
  }
}
