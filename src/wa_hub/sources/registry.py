"""The raw-source registry: every file wa-hub reads, where it comes from, its format, licence and citation.

Users keep raw files in one directory, one folder per source id, under the files' original names
(`RAW/wi_locness/A.train.gold.bea19.m2`). A source id can serve two roles (W&I+LOCNESS train files and
the BEA-2019 dev set), so an entry is keyed by `(id, role)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from wa_hub.errors import MissingFilesError, UsageError

ROLES = ("train", "generic", "test")


@dataclass(frozen=True)
class RawFile:
    """One file of a source: a direct URL, a member of an archive, or a file of a Hub dataset repo."""

    name: str
    url: str | None = None
    archive_member: str | None = None  # path inside the archive at `url` (.tar.gz / .zip)
    hub_repo: str | None = None  # Hub dataset repo id; the file is `hub_file` (or `name`) there
    hub_file: str | None = None
    sha256: str | None = None  # pinned only where we hashed the published file ourselves

    @property
    def downloadable(self) -> bool:
        return self.url is not None or self.hub_repo is not None

    @property
    def origin(self) -> str:
        if self.hub_repo:
            return f"https://huggingface.co/datasets/{self.hub_repo} ({self.hub_file or self.name})"
        if self.url and self.archive_member:
            return f"{self.url} (member {self.archive_member})"
        return self.url or ""


@dataclass(frozen=True)
class Source:
    id: str
    role: str  # "train" | "generic" | "test"
    tasks: tuple[str, ...]
    format: str  # "m2" | "iterater-jsonl" | "parallel" | "wnc-tsv" | "alpaca-json" | "stsb-csv"
    files: tuple[RawFile, ...]
    name: str
    url: str  # where a person gets it
    license: str
    citation: str
    license_url: str = ""  # the licence's text (or the page that states it)
    redistribute: bool = True  # False: the licence forbids publishing copies (a build holding it is gated)
    manual: str | None = None  # how to get it by hand when it cannot be fetched
    optional: bool = False

    @property
    def key(self) -> str:
        return f"{self.id}:{self.role}"

    def paths(self, raw_dir: str | Path) -> list[Path]:
        return [Path(raw_dir) / self.id / f.name for f in self.files]

    def hint(self) -> str:
        """Where to get this source's files, for error messages."""
        if self.manual:
            return self.manual
        return f"`wa-hub sources fetch {self.id}` or {self.url}"

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "name": self.name,
            "task": ",".join(self.tasks),
            "tasks": list(self.tasks),
            "role": self.role,
            "files": [f.name for f in self.files],
            "format": self.format,
            "url": self.url,
            "license": self.license,
            "license_url": self.license_url,
            "redistribute": self.redistribute,
            "citation": self.citation,
            "fetch": "manual" if self.manual else "auto",
            "optional": self.optional,
            "downloads": [{"name": f.name, "from": f.origin or None, "sha256": f.sha256} for f in self.files],
        }


_BEA = "https://www.cl.cam.ac.uk/research/nl/bea2019st/"
_BEA_MANUAL = (
    "W&I+LOCNESS needs its licence agreement: request `wi+locness_v2.1.bea19.tar.gz` at "
    f"{_BEA}#data, extract it and copy wi+locness/m2/{{files}} into RAW/wi_locness/"
)
_BEA_CITATION = (
    "Bryant, Felice, Andersen, Briscoe (2019). The BEA-2019 Shared Task on Grammatical Error Correction. "
    "BEA@ACL 2019."
)
_TURK_URL = "https://raw.githubusercontent.com/cocoxu/simplification/master/data/turkcorpus/GEM/"
_TURK_CITATION = (
    "Xu, Napoles, Pavlick, Chen, Callison-Burch (2016). Optimizing Statistical Machine Translation for "
    "Text Simplification. TACL 4."
)
_ITERATER_CITATION = (
    "Du, Raheja, Kumar, Kim, Zhang, Kang (2022). Understanding Iterative Revision from Human-Written Text. "
    "ACL 2022; Kim, Du, Raheja, Kumar, Kang (2022). Improving Iterative Text Revision by Learning Where "
    "to Edit from Other Revision Tasks. EMNLP 2022."
)
_WNC_URL = "https://github.com/rpryzant/neutralizing-bias"
_WNC_MANUAL = (
    "the Wiki Neutrality Corpus ships as `bias_data.zip` (linked from " + _WNC_URL + "); download it, "
    "accept its terms, and copy bias_data/WNC/{files} into RAW/wnc/"
)
_WNC_CITATION = (
    "Pryzant, Diehl Martinez, Dass, Kurohashi, Jurafsky, Yang (2020). Automatically Neutralizing "
    "Subjective Bias in Text. AAAI 2020."
)
_ALPACA_CITATION = (
    "Taori, Gulrajani, Zhang, Dubois, Li, Guestrin, Liang, Hashimoto (2023). Stanford Alpaca: An "
    "Instruction-following LLaMA model. https://github.com/tatsu-lab/stanford_alpaca"
)


def _m2_files(names: list[str]) -> tuple[RawFile, ...]:
    return tuple(RawFile(n) for n in names)


SOURCES: tuple[Source, ...] = (
    # --- training ---------------------------------------------------------------------------------
    Source(
        id="wi_locness",
        role="train",
        tasks=("grammaticality",),
        format="m2",
        files=_m2_files(["A.train.gold.bea19.m2", "B.train.gold.bea19.m2", "C.train.gold.bea19.m2"]),
        name="W&I+LOCNESS train (BEA-2019)",
        url=_BEA,
        license="W&I+LOCNESS licence: non-commercial research only, no redistribution",
        license_url=_BEA,
        redistribute=False,
        citation=_BEA_CITATION,
        manual=_BEA_MANUAL.format(files="{A,B,C}.train.gold.bea19.m2"),
    ),
    Source(
        id="iterater_v2",
        role="train",
        tasks=("fluency", "clarity", "coherence"),
        format="iterater-jsonl",
        files=(RawFile("sent-level.train.intents.json", hub_repo="wanyu/IteraTeR_v2"),),
        name="IteraTeR v2 sentence-level train",
        url="https://huggingface.co/datasets/wanyu/IteraTeR_v2",
        license="Apache-2.0",
        license_url="https://www.apache.org/licenses/LICENSE-2.0",
        citation=_ITERATER_CITATION,
    ),
    Source(
        id="turkcorpus",
        role="train",
        tasks=("simplification",),
        format="parallel",
        files=tuple(
            RawFile(n, url=_TURK_URL + n)
            for n in ["tune.8turkers.tok.norm"] + [f"tune.8turkers.tok.turk.{i}" for i in range(8)]
        ),
        name="TurkCorpus tune (2,000 pairs, 8 references)",
        url="https://github.com/cocoxu/simplification",
        license="GPL-3.0",
        license_url="https://www.gnu.org/licenses/gpl-3.0.html",
        citation=_TURK_CITATION,
    ),
    Source(
        id="wikilarge",
        role="train",
        tasks=("simplification",),
        format="parallel",
        files=(RawFile("wiki.full.aner.ori.train.src"), RawFile("wiki.full.aner.ori.train.dst")),
        name="WikiLarge train",
        url="https://github.com/XingxingZhang/dress",
        license="CC BY-SA 3.0 (Wikipedia and Simple Wikipedia text)",
        license_url="https://creativecommons.org/licenses/by-sa/3.0/",
        citation=(
            "Zhang, Lapata (2017). Sentence Simplification with Deep Reinforcement Learning. EMNLP 2017."
        ),
        manual=(
            "WikiLarge is in `data-simplification.tar.bz2`, linked from "
            "https://github.com/XingxingZhang/dress; "
            "extract it and copy data-simplification/wikilarge/wiki.full.aner.ori.train.{src,dst} into "
            "RAW/wikilarge/"
        ),
    ),
    Source(
        id="wnc",
        role="train",
        tasks=("neutralization",),
        format="wnc-tsv",
        files=(RawFile("biased.word.train"),),
        name="Wiki Neutrality Corpus, single-word edits, train",
        url=_WNC_URL,
        license="MIT (corpus release); Wikipedia text CC BY-SA",
        license_url="https://opensource.org/license/mit",
        citation=_WNC_CITATION,
        manual=_WNC_MANUAL.format(files="biased.word.train"),
    ),
    Source(
        id="alpaca",
        role="generic",
        tasks=("generic",),
        format="alpaca-json",
        files=(
            RawFile(
                "alpaca_data.json",
                url="https://raw.githubusercontent.com/tatsu-lab/stanford_alpaca/main/alpaca_data.json",
            ),
        ),
        name="Stanford Alpaca (52,002 instructions)",
        url="https://github.com/tatsu-lab/stanford_alpaca",
        license="CC BY-NC 4.0",
        license_url="https://creativecommons.org/licenses/by-nc/4.0/",
        citation=_ALPACA_CITATION,
    ),
    Source(
        id="alpaca_gpt4",
        role="generic",
        tasks=("generic",),
        format="alpaca-json",
        files=(
            RawFile(
                "alpaca_gpt4_data.json",
                url="https://raw.githubusercontent.com/Instruction-Tuning-with-GPT-4/GPT-4-LLM/main/data/"
                "alpaca_gpt4_data.json",
            ),
        ),
        name="Alpaca instructions answered by GPT-4",
        url="https://github.com/Instruction-Tuning-with-GPT-4/GPT-4-LLM",
        license="CC BY-NC 4.0",
        license_url="https://creativecommons.org/licenses/by-nc/4.0/",
        citation="Peng, Li, He, Galley, Gao (2023). Instruction Tuning with GPT-4. arXiv:2304.03277.",
        optional=True,
    ),
    # --- benchmark --------------------------------------------------------------------------------
    Source(
        id="conll14",
        role="test",
        tasks=("grammaticality",),
        format="m2",
        files=(
            RawFile(
                "official-2014.combined.m2",
                url="https://www.comp.nus.edu.sg/~nlp/conll14st/conll14st-test-data.tar.gz",
                archive_member="conll14st-test-data/noalt/official-2014.combined.m2",
                sha256="07771f4653844f2732e1d93a5711181995ff2ae0828016a276ad1e7335c96085",
            ),
        ),
        name="CoNLL-2014 shared task test (2 annotators)",
        url="https://www.comp.nus.edu.sg/~nlp/conll14st.html",
        license="free for research use (see the release's README)",
        license_url="https://www.comp.nus.edu.sg/~nlp/conll14st.html",
        citation=(
            "Ng, Wu, Briscoe, Hadiwinoto, Susanto, Bryant (2014). The CoNLL-2014 Shared Task on Grammatical "
            "Error Correction. CoNLL 2014."
        ),
    ),
    Source(
        id="wi_locness",
        role="test",
        tasks=("grammaticality",),
        format="m2",
        files=(RawFile("ABCN.dev.gold.bea19.m2"),),
        name="BEA-2019 dev (W&I+LOCNESS dev)",
        url=_BEA,
        license="W&I+LOCNESS licence: non-commercial research only, no redistribution",
        license_url=_BEA,
        redistribute=False,
        citation=_BEA_CITATION,
        manual=_BEA_MANUAL.format(files="ABCN.dev.gold.bea19.m2"),
    ),
    Source(
        id="jfleg",
        role="test",
        tasks=("fluency",),
        format="parallel",
        files=tuple(
            RawFile(n, url=f"https://raw.githubusercontent.com/keisks/jfleg/master/test/{n}", sha256=h)
            for n, h in [
                ("test.src", "893db119162487aa7f956b65978453576919e6797cd6c1955f93b7a8b9f4bbd8"),
                ("test.ref0", "875953280a3ea1dea2827337b1778c0105f0c0aa79f2517a6e0e42db5e5e170c"),
                ("test.ref1", "190d3398f2765f54a39b5489d1e96c483412a656086c731f8712ad0591087d80"),
                ("test.ref2", "0e3c6abe934ccd16c9dffb2fd889d6f55afc3ad13a63c1e148c720bb4e99046b"),
                ("test.ref3", "19f49de6eff813b26505ecf756c20dc301aeb80696696b01ca950298f6e58441"),
            ]
        ),
        name="JFLEG test",
        url="https://github.com/keisks/jfleg",
        license="CC BY-NC-SA 4.0",
        license_url="https://creativecommons.org/licenses/by-nc-sa/4.0/",
        citation=(
            "Napoles, Sakaguchi, Tetreault (2017). JFLEG: A Fluency Corpus and Benchmark for Grammatical "
            "Error Correction. EACL 2017."
        ),
    ),
    Source(
        id="iterater_human_sent",
        role="test",
        tasks=("fluency", "clarity", "coherence"),
        format="iterater-jsonl",
        files=(RawFile("test.json", hub_repo="wanyu/IteraTeR_human_sent"),),
        name="IteraTeR human-annotated sentence-level test",
        url="https://huggingface.co/datasets/wanyu/IteraTeR_human_sent",
        license="Apache-2.0",
        license_url="https://www.apache.org/licenses/LICENSE-2.0",
        citation=_ITERATER_CITATION,
    ),
    Source(
        id="turkcorpus",
        role="test",
        tasks=("simplification",),
        format="parallel",
        files=tuple(
            RawFile(n, url=_TURK_URL + n, sha256=h)
            for n, h in [
                (
                    "test.8turkers.tok.norm",
                    "d415a07e8d35892c423eeff78c1f89ec2a3acb037e90ddb2647b1e02efae2af5",
                ),
                (
                    "test.8turkers.tok.turk.0",
                    "1dd953869c842f35de4b97e521e30ce383319dd880d1e03b4471794d8d44c810",
                ),
                (
                    "test.8turkers.tok.turk.1",
                    "e0c5151e5d7f8206f0084982cc41e79ea8c235e897b01b6847d368dac2c58eb3",
                ),
                (
                    "test.8turkers.tok.turk.2",
                    "7b7abbc1a8aeca4cb629dff1b4f54fa6788e1275fc88d3bb8a1588270935b62d",
                ),
                (
                    "test.8turkers.tok.turk.3",
                    "b2fc918a0d3a6dac0f22375758ff81579067860620429de6e4efaf3321f50b16",
                ),
                (
                    "test.8turkers.tok.turk.4",
                    "a02359147dc651e71d27f09a1a941fb667f57d3b4e86241945d0a0eb9b969c42",
                ),
                (
                    "test.8turkers.tok.turk.5",
                    "c376aceedd417c1b49eadc69987e05b51d04046a1628671e298dcb97827ff747",
                ),
                (
                    "test.8turkers.tok.turk.6",
                    "5b0ff64f32ccc6818e7167c0a62a7b621052c58faec9a57a18195b870b0f5a73",
                ),
                (
                    "test.8turkers.tok.turk.7",
                    "0f557e657c0dc37263b4a25dfa56778fed54e5306761c7279751e92768d09eef",
                ),
            ]
        ),
        name="TurkCorpus test (8 references, tokenized)",
        url="https://github.com/cocoxu/simplification",
        license="GPL-3.0",
        license_url="https://www.gnu.org/licenses/gpl-3.0.html",
        citation=_TURK_CITATION,
    ),
    Source(
        id="asset",
        role="test",
        tasks=("simplification",),
        format="parallel",
        files=tuple(
            RawFile(
                n, url=f"https://raw.githubusercontent.com/facebookresearch/asset/main/dataset/{n}", sha256=h
            )
            for n, h in [
                ("asset.test.orig", "673ceb2672a37168a52040d75e16f9ffd1e3777b9f68e19207f2adf6542723f1"),
                ("asset.test.simp.0", "66f36029d0c732eb92886021faefe531c6cfd0a32bdbe7ae4aa97fd45bd1b046"),
                ("asset.test.simp.1", "d323ceb364abbe84c79b14b028aa1ff563cd94955fbab19049612548dbb0f83f"),
                ("asset.test.simp.2", "786b55f8425ce4a993e98be5e2bea9ef87bf536b96dc13f7a57c4733fdb63e06"),
                ("asset.test.simp.3", "e211c9e2ede1dfe315097132dbe4feda76b309bdc636a5394cb5d2664ba5bf52"),
                ("asset.test.simp.4", "37be9cf0592c0f68d87848dc9c442fe62f344518c1993896c00788bf943b755d"),
                ("asset.test.simp.5", "8485210573a3bd76116de8e978b227677c6c207111a4938729397c4e603dfa46"),
                ("asset.test.simp.6", "f0cb3ab823d23203ea044f81bd7e67cc823db0632095e43b78a54a9891a0b0a8"),
                ("asset.test.simp.7", "35cbb8b9964252a1470607634f19ad946c6bc2951b3e500eedd826baf12bd3c8"),
                ("asset.test.simp.8", "047b6419590b88f93b435d3177bba1883dc9c0dc178676e48470b408236446f4"),
                ("asset.test.simp.9", "3f5745e4f2743563b88ea4284ec35fa4ddb68d62de80b63ffb87751b998fe6b8"),
            ]
        ),
        name="ASSET test (10 references)",
        url="https://github.com/facebookresearch/asset",
        license="CC BY-NC 4.0",
        license_url="https://creativecommons.org/licenses/by-nc/4.0/",
        citation=(
            "Alva-Manchego, Martin, Bordes, Scarton, Sagot, Specia (2020). ASSET: A Dataset for Tuning and "
            "Evaluation of Sentence Simplification Models with Multiple Rewriting Transformations. ACL 2020."
        ),
    ),
    Source(
        id="wnc",
        role="test",
        tasks=("neutralization",),
        format="wnc-tsv",
        files=(RawFile("biased.word.test"),),
        name="Wiki Neutrality Corpus, single-word edits, test",
        url=_WNC_URL,
        license="MIT (corpus release); Wikipedia text CC BY-SA",
        license_url="https://opensource.org/license/mit",
        citation=_WNC_CITATION,
        manual=_WNC_MANUAL.format(files="biased.word.test"),
    ),
    Source(
        id="stsb",
        role="test",
        tasks=("paraphrasing",),
        format="stsb-csv",
        files=(
            RawFile(
                "stsb-en-test.csv",
                url="https://raw.githubusercontent.com/PhilipMay/stsb-multi-mt/main/data/stsb-en-test.csv",
                sha256="11523b625219e94e9ca05d2816b5f02cac1614c5894fe657376fa0806378d053",
            ),
        ),
        name="STS-B English test (stsb-multi-mt)",
        url="https://github.com/PhilipMay/stsb-multi-mt",
        license="CC BY-SA 4.0",
        license_url="https://creativecommons.org/licenses/by-sa/4.0/",
        citation=(
            "Cer, Diab, Agirre, Lopez-Gazpio, Specia (2017). SemEval-2017 Task 1: Semantic Textual "
            "Similarity. SemEval 2017; May (2021). stsb-multi-mt."
        ),
    ),
)

_BY_KEY: dict[str, Source] = {s.key: s for s in SOURCES}


def get_source(id: str, role: str) -> Source:
    """The registry entry of source `id` in `role` (train/generic/test)."""
    try:
        return _BY_KEY[f"{id}:{role}"]
    except KeyError:
        known = ", ".join(sorted({s.id for s in SOURCES}))
        raise UsageError(f"unknown raw source {id!r} (role {role}); known ids: {known}") from None


def select_sources(ids: list[str] | None = None, roles: list[str] | None = None) -> list[Source]:
    """Registry entries filtered by id and role (all when both are empty)."""
    known = {s.id for s in SOURCES}
    for i in ids or []:
        if i not in known:
            raise UsageError(f"unknown raw source {i!r}; known ids: {', '.join(sorted(known))}")
    for r in roles or []:
        if r not in ROLES:
            raise UsageError(f"unknown role {r!r}; expected one of {', '.join(ROLES)}")
    return [s for s in SOURCES if (not ids or s.id in ids) and (not roles or s.role in roles)]


def missing_files(raw_dir: str | Path, sources: list[Source]) -> list[tuple[str, str]]:
    """(path, where to get it) for every file of `sources` not present under `raw_dir`."""
    out: list[tuple[str, str]] = []
    for s in sources:
        for p in s.paths(raw_dir):
            if not p.is_file():
                out.append((str(p), s.hint()))
    return out


def require_files(raw_dir: str | Path, sources: list[Source]) -> None:
    """Raise MissingFilesError listing every missing file of `sources` at once."""
    missing = missing_files(raw_dir, sources)
    if missing:
        raise MissingFilesError(missing)
