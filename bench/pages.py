"""Deterministic "ministry announcement list" pages for the benchmark server.

Every contender must see the same bytes, so pages are generated from a seed,
never from a clock. They imitate the list pages watcher exists for (a Chinese
ministry's 政策发布 list): a heavy header with navigation, a sidebar, a
`<ul class="txtList_01">` of 20 dated links with the full title in the `title`
attribute and a truncated link text, and a long footer, 30-60 KB in all.

A quarter of the pages are GBK-encoded, because that is where naive charset
handling goes wrong: half of those declare the charset only in
`<meta charset="gb2312">` (the Content-Type header has none), the other half
only in the header. The rest are UTF-8 and declare it in both places.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.utils import formatdate
from typing import Literal

Encoding = Literal["utf8", "gbk-meta", "gbk-header"]

ITEMS_PER_PAGE = 20
# Pristine pages all claim this modification time (2025-10-09 08:00 UTC); a change is stamped with the clock.
BASE_MTIME = 1759996800

_ORGS = ["工业和信息化部", "自然资源部", "商务部", "国家发展改革委", "海关总署", "财政部", "生态环境部", "国家能源局"]
_ACTIONS = ["关于印发", "关于发布", "关于公布", "关于开展", "关于征求", "关于做好", "关于下达"]
_SUBJECTS = [
    "稀土开采总量控制指标",
    "钨矿开采总量控制指标",
    "锂离子电池行业规范条件",
    "战略性矿产资源安全保障方案",
    "两用物项出口管制清单",
    "镓锗相关物项出口管制措施",
    "石墨物项临时出口管制措施",
    "重点新材料首批次应用示范指导目录",
    "工业领域碳达峰实施方案",
    "全国矿产资源规划实施情况",
    "稀有金属行业规范条件企业名单",
    "有色金属行业稳增长工作方案",
    "锑相关物项出口管制措施",
    "钴锂镍资源储备管理办法",
    "新能源汽车动力蓄电池回收利用管理办法",
    "矿业权出让收益征收办法",
]
_SUFFIXES = ["的通知", "的公告", "（征求意见稿）意见的函", "工作的通知", "的决定", "（2025年版）的通知"]
_NAV = [
    "首页",
    "机构职能",
    "新闻发布",
    "政务公开",
    "政务服务",
    "互动交流",
    "专题专栏",
    "数据发布",
    "政策解读",
    "人事信息",
    "统计数据",
    "规划计划",
    "标准公告",
    "行政许可",
    "财政预决算",
    "建议提案办理",
]
_SIDEBAR = [
    "政策文件",
    "政策解读",
    "法律法规",
    "部门规章",
    "规范性文件",
    "公示公告",
    "征求意见",
    "标准计划",
    "行业动态",
    "地方工作",
    "统计分析",
    "国际合作",
    "稀土行业管理",
    "原材料工业",
    "节能与综合利用",
]
_LINKS = [
    "中国政府网",
    "国家发展和改革委员会",
    "教育部",
    "科学技术部",
    "公安部",
    "民政部",
    "司法部",
    "财政部",
    "人力资源和社会保障部",
    "自然资源部",
    "生态环境部",
    "住房和城乡建设部",
    "交通运输部",
    "水利部",
    "农业农村部",
    "商务部",
    "文化和旅游部",
    "国家卫生健康委员会",
    "应急管理部",
    "中国人民银行",
    "审计署",
    "海关总署",
    "国家市场监督管理总局",
    "国家统计局",
    "国家知识产权局",
    "国家能源局",
    "国家国防科技工业局",
    "国家烟草专卖局",
]


def page_encoding(index: int) -> Encoding:
    """Every 4th page is GBK; of those, alternately meta-only and header-only."""
    if index % 4:
        return "utf8"
    return "gbk-meta" if index % 8 == 0 else "gbk-header"


def source_name(index: int) -> str:
    return f"p{index:04d}"


@dataclass(frozen=True, slots=True)
class ListItem:
    hexid: str
    title: str
    date: str  # YYYY-MM-DD

    @property
    def path(self) -> str:
        return f"/zwgk/zcfb/art/{self.date[:4]}/art_{self.hexid}.html"


@dataclass(frozen=True, slots=True)
class Rendered:
    """One page version as the server sends it."""

    body: bytes
    etag: str
    last_modified: str  # HTTP date
    mtime: int
    content_type: str


@dataclass(slots=True)
class Page:
    index: int
    items: list[ListItem]
    target_size: int
    mtime: int = BASE_MTIME
    rendered: Rendered | None = field(default=None, repr=False)

    @property
    def encoding(self) -> Encoding:
        return page_encoding(self.index)


def link_text(title: str) -> str:
    """Long titles are cut in the link text, as these sites do; the title attribute keeps them whole."""
    return title if len(title) <= 24 else title[:24] + "..."


def _hexid(*parts: object) -> str:
    return hashlib.blake2b("/".join(map(str, parts)).encode(), digest_size=16).hexdigest()


def notice_title(rng: random.Random) -> str:
    org, action = rng.choice(_ORGS), rng.choice(_ACTIONS)
    subject, suffix = rng.choice(_SUBJECTS), rng.choice(_SUFFIXES)
    if rng.random() < 0.5:
        return f"{org}{action}《{subject}》{suffix}"
    return f"{org}办公厅{action}{rng.randint(2023, 2025)}年{subject}{suffix}"


def _date(day_offset: int) -> str:
    """2025-10-09 minus day_offset days, without touching the clock."""
    return (date(2025, 10, 9) - timedelta(days=day_offset)).isoformat()


def _render(page: Page) -> Rendered:
    rng = random.Random(page.index)  # the chrome of a page never changes, only its list
    enc = page.encoding
    charset_meta = {"utf8": '<meta charset="utf-8">', "gbk-meta": '<meta charset="gb2312">', "gbk-header": ""}[enc]
    content_type = {
        "utf8": "text/html; charset=utf-8",
        "gbk-meta": "text/html",
        "gbk-header": "text/html; charset=GBK",
    }[enc]
    codec = "utf-8" if enc == "utf8" else "gbk"

    head = [
        '<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n',
        charset_meta,
        '\n<meta http-equiv="X-UA-Compatible" content="IE=edge">\n',
        "<title>政策发布_政务公开_中华人民共和国工业和信息化部</title>\n",
        '<meta name="keywords" content="工业和信息化部,政策发布,稀土,原材料工业">\n',
        '<meta name="SiteName" content="中华人民共和国工业和信息化部"><meta name="ColumnName" content="政策发布">\n',
        '<link rel="stylesheet" href="/res/css/common.css"><link rel="stylesheet" href="/res/css/list.css">\n',
        "<style>\n",
        *(
            f".m{n}{{margin:{n % 17}px;padding:{n % 11}px {n % 7}px;color:#{rng.randrange(0xFFFFFF):06x};"
            f"font-size:{12 + n % 6}px;line-height:{20 + n % 9}px}}\n"
            for n in range(60)
        ),
        "</style>\n<script>var _maq=_maq||[];_maq.push(['_setAccount','miit']);",
        "(function(){var ma=document.createElement('script');ma.src='/res/js/stat.js';",
        "var s=document.getElementsByTagName('script')[0];s.parentNode.insertBefore(ma,s);})();</script>\n",
        "</head>\n<body>\n",
    ]
    header = [
        '<div class="header"><div class="top"><a href="/">中华人民共和国工业和信息化部</a>',
        '<span class="links"><a href="/en/">English</a> | <a href="/wza/">无障碍</a> | '
        '<a href="/app/">移动端</a></span>',
        '<form class="search" action="/search/" method="get"><input name="q" placeholder="请输入关键字">'
        '<button type="submit">搜索</button></form></div>\n<div class="nav"><ul>\n',
        *(
            f'<li class="nav{n}"><a href="/{n}/index.html" target="_self">{name}</a><div class="sub">'
            + "".join(f'<a href="/{n}/{k}/index.html">{rng.choice(_SIDEBAR)}</a>' for k in range(6))
            + "</div></li>\n"
            for n, name in enumerate(_NAV)
        ),
        "</ul></div></div>\n",
    ]
    lis = []
    for item in page.items:
        lis.append(
            f'<li><a href="{item.path}" title="{item.title}" target="_blank">{link_text(item.title)}</a>'
            f"<span>[{item.date}]</span></li>\n"
        )
    main = [
        '<div class="main"><div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a>'
        ' &gt; <span>政策发布</span></div>\n<div class="content">\n<div class="title">政策发布</div>\n',
        '<ul class="txtList_01">\n',
        *lis,
        "</ul>\n",
        '<div class="page" id="pager"><script>createPageHTML(34, 0, "index", "html");</script></div>\n</div>\n',
    ]
    footer = [
        '<div class="footer"><div class="friends"><select onchange="window.open(this.value)">'
        "<option>--国务院部门网站--</option>\n",
        *(f'<option value="http://www.example.gov.cn/{n}/">{name}</option>\n' for n, name in enumerate(_LINKS)),
        "</select></div>\n<p>主办单位：中华人民共和国工业和信息化部 地址：北京市西长安街13号 邮编：100804</p>\n",
        "<p>版权所有：中华人民共和国工业和信息化部 京ICP备04000001号 京公网安备11040102700068号 "
        "网站标识码bm07000001</p>\n",
        '</div>\n<script src="/res/js/jquery.min.js"></script><script src="/res/js/common.js"></script>\n',
        "</body>\n</html>\n",
    ]
    fixed = "".join(head) + "".join(header) + "".join(main)
    tail = "".join(footer)
    size = len(fixed.encode(codec)) + len(tail.encode(codec))
    # A sidebar tree of links pads the page to its target size, as real sites' menus do.
    sidebar = ['<div class="sidebar"><ul class="tree">\n']
    n = 0
    while size < page.target_size:
        entry = (
            f'<li><a href="/zwgk/{n % 40}/{n}/index.html" title="{rng.choice(_SIDEBAR)}">'
            f"{rng.choice(_SIDEBAR)}（{n}）</a></li>\n"
        )
        sidebar.append(entry)
        size += len(entry.encode(codec))
        n += 1
    sidebar.append("</ul></div>\n")
    body = (fixed + "".join(sidebar) + "</div>\n" + tail).encode(codec)
    etag = '"' + hashlib.blake2b(body, digest_size=10).hexdigest() + '"'
    return Rendered(body, etag, formatdate(page.mtime, usegmt=True), page.mtime, content_type)


@dataclass(frozen=True, slots=True)
class AddedItem:
    """What a change put on a page: the truth a contender's report is compared with."""

    source: str
    title: str
    url: str
    published: str


class Site:
    """N pages, their pristine state, and the 'some pages changed' control."""

    def __init__(self, count: int, base_url: str = "") -> None:
        self.count = count
        self.base_url = base_url.rstrip("/")
        self.pages: list[Page] = []
        for index in range(1, count + 1):  # numbered from 1, like the sources p0001...
            rng = random.Random(f"items-{index}")
            items = [
                ListItem(_hexid(index, k), notice_title(rng), _date(k * 3 + rng.randint(0, 2)))
                for k in range(ITEMS_PER_PAGE)
            ]
            target = random.Random(f"size-{index}").randint(31_000, 59_000)
            self.pages.append(Page(index, items, target))
        self._pristine = [list(page.items) for page in self.pages]
        for page in self.pages:
            page.rendered = _render(page)

    def page(self, index: int) -> Rendered | None:
        if 1 <= index <= self.count:
            return self.pages[index - 1].rendered
        return None

    def reset(self) -> None:
        """Back to the pristine pages, so every contender's round a sees the same site."""
        for page, items in zip(self.pages, self._pristine, strict=True):
            if page.mtime != BASE_MTIME or page.items != items:
                page.items, page.mtime = list(items), BASE_MTIME
                page.rendered = _render(page)

    def pick(self, fraction: float, seed: int) -> list[int]:
        """Which pages change: a seeded sample that contains each encoding when it can."""
        k = max(1, round(self.count * fraction))
        rng = random.Random(seed)
        while True:
            chosen = sorted(rng.sample(range(1, self.count + 1), k))
            if k < 3 or self.count < 8 or len({page_encoding(i) for i in chosen}) == 3:
                return chosen

    def change(self, indices: list[int], seed: int, now: float) -> list[AddedItem]:
        """Put one new item at the top of each page; its ETag and Last-Modified change with it."""
        added = []
        mtime = int(now) + 1  # strictly later than any If-Modified-Since a client got from us before
        for index in indices:
            page = self.pages[index - 1]
            rng = random.Random(f"new-{seed}-{index}")
            item = ListItem(_hexid("new", seed, index), "最新：" + notice_title(rng), "2025-10-10")
            page.items = [item, *page.items]
            page.mtime = max(mtime, page.mtime + 1)
            page.rendered = _render(page)
            added.append(AddedItem(source_name(index), item.title, self.base_url + item.path, item.date))
        return added
