"""Keccak-256 (the original padding Ethereum uses) against published vectors,
the constants against the specification's own derivation, and ccxt's Keccak."""

from __future__ import annotations

import hashlib
import random
from types import ModuleType

import pytest

# The Keccak team's round-3 known-answer tests for Keccak-256 (r=1088, c=512):
# KeccakKAT-3.zip, ShortMsgKAT_256.txt / LongMsgKAT_256.txt (keccak.team,
# "obsolete" files: they predate FIPS 202's extra padding bits, which is what
# Ethereum's Keccak-256 is). Byte-aligned entries only: (Len in bits, Msg, MD).
KECCAK_TEAM_KAT = [
    (0, "", "C5D2460186F7233C927E7DB2DCC703C0E500B653CA82273B7BFAD8045D85A470"),
    (8, "CC", "EEAD6DBFC7340A56CAEDC044696A168870549A6A7F6F56961E84A54BD9970B8A"),
    (
        752,
        "7ADC0B6693E61C269F278E6944A5A2D8300981E40022F839AC644387BFAC9086650085C2CDC585FEA47B9D2E52D65A2B29A7DC370401EF5D60DD0D21F9E2B90FAE919319B14B8C5565B0423CEFB827D5F1203302A9D01523498A4DB10374",
        "4CC2AFF141987F4C2E683FA2DE30042BACDCD06087D7A7B014996E9CFEAA58CE",
    ),
    (
        920,
        "B55C10EAE0EC684C16D13463F29291BF26C82E2FA0422A99C71DB4AF14DD9C7F33EDA52FD73D017CC0F2DBE734D831F0D820D06D5F89DACC485739144F8CFD4799223B1AFF9031A105CB6A029BA71E6E5867D85A554991C38DF3C9EF8C1E1E9A7630BE61CAABCA69280C399C1FB7A12D12AEFC",
        "0347901965D3635005E75A1095695CCA050BC9ED2D440C0372A31B348514A889",
    ),
    # 244 bytes: two blocks of 136.
    (
        1952,
        "2EDC282FFB90B97118DD03AAA03B145F363905E3CBD2D50ECD692B37BF000185C651D3E9726C690D3773EC1E48510E42B17742B0B0377E7DE6B8F55E00A8A4DB4740CEE6DB0830529DD19617501DC1E9359AA3BCF147E0A76B3AB70C4984C13E339E6806BB35E683AF8527093670859F3D8A0FC7D493BCBA6BB12B5F65E71E705CA5D6C948D66ED3D730B26DB395B3447737C26FAD089AA0AD0E306CB28BF0ACF106F89AF3745F0EC72D534968CCA543CD2CA50C94B1456743254E358C1317C07A07BF2B0ECA438A709367FAFC89A57239028FC5FECFD53B8EF958EF10EE0608B7F5CB9923AD97058EC067700CC746C127A61EE3",
        "DD1D2A92B3F3F3902F064365838E1F5F3468730C343E2974E7A9ECFCD84AA6DB",
    ),
    # LongMsgKAT_256, 256 bytes: two blocks.
    (
        2048,
        "724627916C50338643E6996F07877EAFD96BDF01DA7E991D4155B9BE1295EA7D21C9391F4C4A41C75F77E5D27389253393725F1427F57914B273AB862B9E31DABCE506E558720520D33352D119F699E784F9E548FF91BC35CA147042128709820D69A8287EA3257857615EB0321270E94B84F446942765CE882B191FAEE7E1C87E0F0BD4E0CD8A927703524B559B769CA4ECE1F6DBF313FDCF67C572EC4185C1A88E86EC11B6454B371980020F19633B6B95BD280E4FBCB0161E1A82470320CEC6ECFA25AC73D09F1536F286D3F9DACAFB2CD1D0CE72D64D197F5C7520B3CCB2FD74EB72664BA93853EF41EABF52F015DD591500D018DD162815CC993595B195",
        "EA0E416C0F7B4F11E3F00479FDDF954F2539E5E557753BD546F69EE375A5DE29",
    ),
]

# Text vectors as Ethereum tooling publishes them.
TEXT_VECTORS = [
    # keccak256("") -- Ethereum's empty-code / empty-string hash (yellow paper's KEC()).
    (b"", "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"),
    # keccak256("abc") -- web3.utils.sha3 / Wikipedia "SHA-3", Keccak-256 column.
    (b"abc", "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"),
    # Wikipedia "SHA-3", Keccak-256("The quick brown fox jumps over the lazy dog").
    (
        b"The quick brown fox jumps over the lazy dog",
        "4d741b6f1eb29cb2a9b9911c82f56fa8d73b04959d3d9d222895df6c0b28aa15",
    ),
    # The 4-byte selector of ERC-20 transfer(address,uint256) is a9059cbb (EIP-20).
    (b"transfer(address,uint256)", "a9059cbb"),
]


@pytest.mark.parametrize(
    ("bits", "message", "digest"),
    KECCAK_TEAM_KAT,
    ids=[f"Len={k[0]}" for k in KECCAK_TEAM_KAT],
)
def test_keccak_team_known_answers(
    wallet: ModuleType, bits: int, message: str, digest: str
) -> None:
    data = bytes.fromhex(message)
    assert len(data) * 8 == bits
    assert wallet._keccak256(data).hex() == digest.lower()


@pytest.mark.parametrize(
    ("data", "digest"),
    TEXT_VECTORS,
    ids=[d[0][:12].decode() or "empty" for d in TEXT_VECTORS],
)
def test_ethereum_text_vectors(wallet: ModuleType, data: bytes, digest: str) -> None:
    assert wallet._keccak256(data).hex().startswith(digest)


def test_is_not_fips_sha3(wallet: ModuleType) -> None:
    # Same permutation, different padding (0x06 in FIPS 202): never equal.
    for data in (b"", b"abc", bytes(200)):
        assert wallet._keccak256(data) != hashlib.sha3_256(data).digest()


def test_round_constants_follow_the_specification(wallet: ModuleType) -> None:
    # The Keccak reference, section 1.2: RC[i] bit 2^j - 1 is rc(j + 7i), rc the
    # LFSR x^8 + x^6 + x^5 + x^4 + 1.
    def rc(t: int) -> int:
        r = 1
        for _ in range(t % 255):
            r <<= 1
            if r & 0x100:
                r ^= 0x171
        return r & 1

    expected = tuple(
        sum(rc(j + 7 * i) << ((1 << j) - 1) for j in range(7)) for i in range(24)
    )
    assert wallet._KECCAK_ROUND_CONSTANTS == expected


def test_equals_ccxt_keccak_around_block_boundaries(wallet: ModuleType) -> None:
    from ccxt.static_dependencies import keccak  # ccxt 4.5.90's own Keccak

    rng = random.Random(11)
    lengths = [0, 1, 31, 32, 134, 135, 136, 137, 271, 272, 273, 407, 408, 1000]
    lengths += [rng.randrange(0, 700) for _ in range(20)]
    for length in lengths:
        data = rng.randbytes(length)
        assert wallet._keccak256(data) == bytes(keccak.SHA3(data)), length
