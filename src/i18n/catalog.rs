//! The message catalog: one line per message, English then Chinese.

use super::Lang;

macro_rules! catalog {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        /// A user-visible message.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Msg { $($key,)* }

        impl Msg {
            pub const ALL: &'static [Msg] = &[$(Msg::$key,)*];

            pub fn text(self, lang: Lang) -> &'static str {
                match (self, lang) {
                    $((Msg::$key, Lang::En) => $en, (Msg::$key, Lang::Zh) => $zh,)*
                }
            }
        }
    };
}

catalog! {
    // ---- the page ----
    Tagline => "A ZooKeeper you can watch think.", "看得见思考过程的 ZooKeeper。";
    Language => "Language", "语言";
    Problem => "Problem", "问题";
    KeysHelp => "Keys: space plays or pauses, → steps, ← steps back, N runs the scenario's next part.",
        "快捷键：空格 播放/暂停，→ 单步，← 后退一步，N 运行场景的下一段。";

    // ---- transport ----
    Play => "▶ Play", "▶ 播放";
    Pause => "❚❚ Pause", "❚❚ 暂停";
    Step => "Step ▸", "单步 ▸";
    StepTitle => "Carry out the next event", "执行下一个事件";
    StepBack => "◂ Back", "◂ 后退";
    StepBackTitle => "Go back one event", "回退一个事件";
    Speed => "Speed", "速度";
    SpeedSlow => "slow motion", "慢动作";
    Clock => "t = {0}", "t = {0}";
    NextEventAt => "next event at {0}", "下一个事件在 {0}";
    NothingScheduled => "nothing scheduled", "没有待发生的事件";
    TimelineScrubber => "Timeline: drag to rewind", "时间轴：拖动以回退";
    Rewound => "Rewound: playing on repeats what happened; any action branches a new history from here.",
        "已回退：继续播放会重演原来的经过；此时的任何操作都会从这里分出一条新的历史。";
    SeedHash => "seed {0} · trace {1}", "种子 {0} · 轨迹 {1}";
    SeedHashTitle => "Same seed and actions, same trace: compare with `zooscope sim --seed N`",
        "相同的种子与操作得到相同的轨迹：可与 `zooscope sim --seed N` 对比";
    ExportTrace => "Export trace (JSON)", "导出轨迹（JSON）";
    ExportPicture => "Export picture (SVG)", "导出图片（SVG）";
    ExportPng => "Export picture (PNG)", "导出图片（PNG）";
    CopyLink => "Copy link", "复制链接";
    LinkReady => "The address bar now holds a link to this exact moment.", "地址栏中的链接已指向此刻的状态。";

    // ---- a new run ----
    Servers => "Servers", "服务器";
    Observers => "Observers", "观察者";
    Seed => "Seed", "种子";
    NewRun => "New run", "新的运行";
    NewRunTitle => "Start over with these settings", "按这些设置重新开始";

    // ---- the cluster ----
    ClusterTitle => "The ensemble", "集群";
    ServerName => "Server {0}", "服务器 {0}";
    ObserverTag => "observer", "观察者";
    RoleDown => "DOWN", "宕机";
    RoleBooting => "BOOTING", "启动中";
    PausedTag => "paused (GC)", "暂停（GC）";
    RoleLooking => "LOOKING", "LOOKING 选举中";
    RoleFollowing => "FOLLOWING", "FOLLOWING 跟随者";
    RoleLeading => "LEADING", "LEADING 领导者";
    RoleObserving => "OBSERVING", "OBSERVING 观察者";
    NodeLooking => "LOOKING", "选举中";
    NodeFollowing => "FOLLOWING", "跟随者";
    NodeLeading => "LEADING", "领导者";
    NodeObserving => "OBSERVING", "观察者";
    PhaseElection => "election", "选举";
    PhaseDiscovery => "discovery", "发现";
    PhaseSynchronization => "synchronization", "同步";
    PhaseBroadcast => "broadcast", "广播";
    EpochLine => "epoch {0} (accepted {1})", "epoch {0}（已接受 {1}）";
    LastLogged => "last logged", "最后记录";
    Committed => "committed", "已提交";
    SessionsHere => "sessions", "会话";
    Phase => "phase", "阶段";
    Epoch => "epoch", "epoch";
    Vote => "vote", "选票";
    VoteLine => "{0}, round {1}", "{0}，第 {1} 轮";
    Boots => "boots", "启动次数";
    DiskBusy => "disk: {0}", "磁盘：{0}";
    Crash => "Crash", "崩溃";
    Restart => "Restart", "重启";
    PauseServer => "Pause", "暂停";
    ResumeServer => "Resume", "恢复";
    Starting => "starting…", "启动中…";
    LinkTitle => "Link between {0} and {1}", "{0} 与 {1} 之间的链路";
    LinkHint => "Click a link between two servers to cut or heal it, or drag from one server to another (with Shift: one way only); drag a server into empty space to isolate it.", "点击两台服务器之间的连线，可以切断或恢复它；也可以从一台服务器拖到另一台（按住 Shift 只切断单向）；把服务器拖到空白处可将它隔离。";
    DragCut => "cut {0} ⇹ {1}", "切断 {0} ⇹ {1}";
    DragCutOneWay => "cut {0} → {1} only", "只切断 {0} → {1}";
    DragHeal => "heal {0} ⇹ {1}", "恢复 {0} ⇹ {1}";
    DragIsolate => "isolate server {0}", "隔离服务器 {0}";
    CutBoth => "Cut both ways", "双向切断";
    CutOneWay => "Cut {0} → {1} only", "只切断 {0} → {1}";
    Heal => "Heal", "恢复";
    HealAll => "Heal every link", "恢复所有链路";
    AddObserver => "+ Add an observer", "+ 加入观察者";
    TimelineSeekHint => "Click to go back to this moment", "点击回到这一刻";
    DelayMessage => "Delay 1 s", "延迟 1 秒";
    DelayMessageHint => "It arrives a second later; on a ZAB link what follows it waits too (TCP keeps order)", "它晚一秒到达；在 ZAB 连接上，排在它后面的消息也要等（TCP 保持顺序）";
    AddObserverHint => "A new server that follows the leader and serves reads, but never votes", "新服务器：跟随领导者、提供读服务，但从不投票";
    LinkCutState => "cut: {0}", "已切断：{0}";
    LinkOk => "connected", "连通";
    MessageTitle => "{0} from {1} to {2}", "{0}：从 {1} 到 {2}";
    MessageHint => "Click a travelling message to see its fields.", "点击正在传输的消息可以查看其字段。";
    DropMessage => "Drop this message", "丢弃这条消息";
    MessageHeld => "held by a rule", "被规则扣住";
    MessageStalled => "waiting for the link to heal", "等待链路恢复";
    MessagesInFlight => "{0} messages in flight", "{0} 条消息在途";
    Close => "Close", "关闭";
    FamilyVote => "vote", "选票";
    FamilyDiscovery => "FOLLOWERINFO / LEADERINFO / ACKEPOCH", "FOLLOWERINFO / LEADERINFO / ACKEPOCH";
    FamilySync => "DIFF / TRUNC / SNAP", "DIFF / TRUNC / SNAP";
    FamilyEstablish => "NEWLEADER / UPTODATE", "NEWLEADER / UPTODATE";
    FamilyProposal => "PROPOSAL", "PROPOSAL";
    FamilyAck => "ACK", "ACK";
    FamilyCommit => "COMMIT / INFORM", "COMMIT / INFORM";
    FamilyPing => "PING", "PING";
    FamilyRequest => "forwarded REQUEST", "转发的 REQUEST";
    FamilyOther => "other", "其他";
    Legend => "Message colours", "消息颜色";

    // ---- vote boxes ----
    VotesTitle => "FastLeaderElection vote boxes", "FastLeaderElection 投票箱";
    VotesFor => "votes for {0}", "投给 {0}";
    VoteOf => "leader {0}, zxid {1}, epoch {2}", "领导者 {0}，zxid {1}，epoch {2}";
    Round => "round {0}", "第 {0} 轮";
    NotElecting => "not electing", "不在选举中";
    ColFrom => "from", "来自";
    ColLeader => "proposed leader", "提议的领导者";
    ColZxid => "zxid", "zxid";
    ColEpoch => "epoch", "epoch";
    ColRound => "round", "轮次";
    ColState => "state", "状态";
    NoVotesYet => "no votes received yet", "尚未收到选票";
    VoteWins => "server {0}'s vote wins: {1}", "服务器 {0} 的选票胜出：{1}";
    StillOwnVote => "still votes for itself", "仍投给自己";
    QuorumCount => "{0} agree, {1} needed:", "{0} 票一致，需要 {1} 票：";
    FinalizingUntil => "a quorum agrees: waiting until {0} for a better vote", "已获多数同意：等到 {0} 看是否有更好的选票";
    OutOfElection => "(already decided)", "（已完成选举）";
    ReasonNewRound => "a new round: it votes for itself", "新的一轮：先投自己";
    ReasonJoinedNewerRound => "a newer round reached it", "收到了更新一轮的选票";
    ReasonHigherEpoch => "higher epoch", "epoch 更高";
    ReasonHigherZxid => "same epoch, higher zxid", "epoch 相同，zxid 更高";
    ReasonHigherMyid => "same epoch and zxid, higher myid", "epoch 和 zxid 相同，myid 更高";

    // ---- ZAB flow ----
    ZabTitle => "ZAB: proposals, ACKs and commits", "ZAB：提议、确认与提交";
    ZabNoLeader => "No established leader: nothing is being proposed.", "没有已确立的领导者：目前没有提议。";
    ZabEmpty => "No transactions yet: create a client and write something.", "还没有事务：创建一个客户端并写点东西吧。";
    ColTxn => "transaction", "事务";
    ColLogged => "logged", "已记录";
    ColAcked => "ACKed", "已确认";
    ColQuorum => "quorum", "多数派";
    ColCommit => "commit", "提交";
    ColApplied => "applied", "已应用";
    StatusPending => "waiting for a quorum", "等待多数派";
    StatusCommitted => "committed", "已提交";
    StatusTruncated => "truncated: never committed", "已截断：从未提交";
    QuorumOf => "{0} of {1}", "{0}/{1}";

    // ---- znode tree ----
    TreeTitle => "Znode tree", "Znode 树";
    TreeOfServer => "Tree of", "查看服务器";
    TreeDown => "This server is down: its tree is only on disk.", "这台服务器宕机了：它的树只在磁盘上。";
    TreeDiffNote => "Compared with server {0}: missing, extra and different znodes are marked.",
        "与服务器 {0} 对比：缺少、多出和不同的 znode 已标出。";
    DiffMissing => "missing here", "此处缺少";
    DiffExtra => "only here", "仅此处有";
    DiffData => "differs", "不同";
    Children => "{0} children", "{0} 个子节点";
    MoreChildren => "… {0} more", "… 还有 {0} 个";
    Data => "data", "数据";
    Bytes => "{0} bytes", "{0} 字节";
    Acl => "ACL", "ACL";
    EphemeralOwner => "ephemeral owner", "临时节点所有者";
    NotEphemeral => "persistent", "持久节点";
    SelectZnode => "Select a znode to see its data, Stat and ACL.", "选择一个 znode 查看其数据、Stat 和 ACL。";

    // ---- locks ----
    LocksTitle => "Lock queues", "锁队列";
    NoLocks => "No lock queues. The fair-lock scenario builds one: ephemeral sequential children, each waiter watching its predecessor.",
        "没有锁队列。“公平锁”场景会建立一个：临时顺序子节点，每个等待者只监视它的前一个节点。";
    Holder => "holds the lock", "持有锁";
    WaitsWatching => "waits, watching {0}", "等待中，监视 {0}";
    Waits => "waits", "等待中";
    HerdTag => "herd: watches every change", "羊群：监视所有变化";
    SessionOf => "session {0}", "会话 {0}";

    // ---- clients and console ----
    ClientsTitle => "Clients and console", "客户端与控制台";
    NoClients => "No clients yet.", "还没有客户端。";
    NewClient => "New client on server", "新客户端，连接到服务器";
    AddClient => "Connect", "连接";
    ClientState => "state", "状态";
    ConnectedTo => "server {0}", "服务器 {0}";
    NotConnected => "not connected", "未连接";
    SessionTimeout => "timeout {0} ms", "超时 {0} ms";
    WatchesHeld => "watches", "监视点";
    NoWatches => "none", "无";
    PendingRequests => "{0} pending", "{0} 个待答复";
    MoveTo => "Move to", "迁移到";
    Disconnect => "Go away", "离开";
    Burst => "Burst of {0} writes", "连续写入 {0} 次";
    ConsoleFor => "Console for", "控制台会话";
    ConsolePlaceholder => "create /app \"hello\"   ·   ls /   ·   get -w /app   ·   help",
        "create /app \"hello\"   ·   ls /   ·   get -w /app   ·   help";
    Run => "Run", "运行";
    ConsoleNeedsClient => "Connect a client first: the console runs commands through its session.",
        "请先连接一个客户端：控制台通过它的会话执行命令。";
    AwaitingReply => "(waiting for the reply…)", "（等待答复…）";
    ConnectionLost => "connection lost: the request may or may not have been carried out",
        "连接断开：请求可能已执行，也可能没有";

    // ---- manual mode ----
    NextEventsTitle => "What can happen next", "接下来可能发生的事";
    Take => "Do this next", "先做这个";
    Drop => "Drop", "丢弃";
    MoreEvents => "… and {0} more", "… 还有 {0} 个";

    // ---- timeline ----
    TimelineTitle => "Events ({0} in all, latest first)", "事件（共 {0} 个，最新的在前）";
    FilterServer => "Server", "服务器";
    FilterKind => "Kind", "类别";
    All => "all", "全部";
    KindElection => "election", "选举";
    KindZab => "ZAB", "ZAB";
    KindDisk => "disk", "磁盘";
    KindFaults => "faults", "故障";
    KindClients => "clients", "客户端";
    NoEvents => "Nothing matches this filter yet.", "还没有符合筛选条件的事件。";

    // ---- scenarios ----
    Scenario => "Scenario", "场景";
    FreePlay => "Free play (no scenario)", "自由操作（无场景）";
    LoadScenarioFile => "Load a scenario file…", "加载场景文件…";
    Next => "Next ▸", "下一步 ▸";
    NextTitle => "Run the scenario's next part", "运行场景的下一段";
    Catching => "Playing the steps…", "正在播放这些步骤…";
    ScenarioDone => "The scenario is over. Keep exploring: crash a server, cut a link, use the console.",
        "场景结束了。继续探索吧：让服务器崩溃、切断链路、使用控制台。";
    ScenarioFailed => "The scenario stopped: {0}", "场景中止：{0}";
    LeftScenario => "You took over from scenario “{0}”: this is free play now.", "你接管了场景“{0}”：现在是自由操作。";
    Question => "Question", "问题";
    AnswerPrompt => "Choose an answer to see what happens.", "选择一个答案，然后看看会发生什么。";
    Correct => "Right.", "答对了。";
    Wrong => "Not quite: the answer is {0}.", "不太对：答案是 {0}。";
    NotAnswered => "The answer is {0}.", "答案是 {0}。";
    WatchOutcome => "Watch what happens…", "看看会发生什么…";
    FileProblem => "That file is not a scenario: {0}", "这个文件不是有效的场景：{0}";
    StartScenarioHint => "Press Next to begin.", "按“下一步”开始。";
    DidStep => "did: {0}", "执行：{0}";
    HeldStep => "checked: {0}", "检查通过：{0}";

    // ---- explainer ----
    Explainer => "{0} servers start LOOKING and vote for themselves; a better vote (higher epoch, then zxid, then myid) wins them over, and {1} votes make a leader, who then establishes a new epoch with its followers. Crash the leader and watch the others elect another.",
        "{0} 台服务器启动后处于 LOOKING 状态并投自己一票；更好的选票（先比 epoch，再比 zxid，最后比 myid）会让它们改投，获得 {1} 票的服务器成为领导者，随后与跟随者一起建立新的 epoch。让领导者崩溃，看看其余服务器如何选出新的领导者。";

    // ---- trace events (the timeline) ----
    TraceBooted => "booted (last zxid {0}, acceptedEpoch {1}, currentEpoch {2})", "启动（最后 zxid {0}，acceptedEpoch {1}，currentEpoch {2}）";
    TraceCrashed => "crashed", "崩溃";
    TracePaused => "paused", "暂停";
    TraceResumed => "resumed", "恢复";
    TraceStateChanged => "{0} ({1}, epoch {2})", "{0}（{1}，epoch {2}）";
    TraceElectionStarted => "election round {0}, votes {1}", "第 {0} 轮选举，投票 {1}";
    TraceVoteChanged => "vote {0} → {1}: {2}", "选票 {0} → {1}：{2}";
    TraceFinalizing => "a quorum agrees; waiting until {0} for a better vote", "多数派已同意；等到 {0} 看是否有更好的选票";
    TraceElectionDecided => "decided: server {0} leads (round {1})", "选举结束：服务器 {0} 当选（第 {1} 轮）";
    TraceAcceptedEpoch => "acceptedEpoch := {0}", "acceptedEpoch := {0}";
    TraceCurrentEpoch => "currentEpoch := {0}", "currentEpoch := {0}";
    TraceSyncChosen => "syncs server {0} by {1} (its last {2}, ours {3})", "用 {1} 同步服务器 {0}（它的最后 zxid {2}，我们的 {3}）";
    TraceTruncated => "truncated its log to {0} ({1} dropped)", "日志截断到 {0}（丢弃 {1} 条）";
    TraceSnapshotInstalled => "installed the leader's state at {0}", "安装了领导者在 {0} 的状态";
    TraceSnapshotTaken => "snapshot at {0}", "在 {0} 做了快照";
    TraceLeaderEstablished => "established as leader of epoch {0}", "成为 epoch {0} 的领导者";
    TraceProposed => "proposed {0}", "提议 {0}";
    TraceAckReceived => "ACK {0} from {1}", "收到 {1} 对 {0} 的 ACK";
    TraceCommitted => "committed {0}", "提交 {0}";
    TraceLogged => "log durable through {0}", "日志已持久化到 {0}";
    TraceLeaderGaveUp => "stops leading: {0}", "不再担任领导者：{0}";
    TraceLearnerDropped => "drops learner {0}: {1}", "断开学习者 {0}：{1}";
    TraceLeftLeader => "leaves its leader: {0}", "离开它的领导者：{0}";
    TraceObserverAdded => "configuration: observer {0} added", "配置变更：加入观察者 {0}";
    TraceMessageLost => "{0} from {1} to {2} lost: {3}", "{0}（从 {1} 到 {2}）丢失：{3}";
    TraceDiskDone => "disk: {0} done", "磁盘：{0} 完成";
    TraceClient => "client {0}: {1}", "客户端 {0}：{1}";
    TraceViolation => "INVARIANT VIOLATED: {0}: {1}", "不变式被破坏：{0}：{1}";
    TraceServerPrefix => "server {0}", "服务器 {0}";
    GaveUpInitLimit => "no quorum of followers within initLimit", "在 initLimit 内没有凑齐法定人数的跟随者";
    GaveUpLostQuorum => "lost the quorum of synced followers", "失去了已同步跟随者的法定人数";
    GaveUpLearnerAhead => "server {0} is ahead (epoch {1}, zxid {2})", "服务器 {0} 的历史更新（epoch {1}，zxid {2}）";
    DroppedSilent => "silent for longer than syncLimit, or not synchronized within initLimit", "沉默超过 syncLimit，或未在 initLimit 内完成同步";
    DroppedClosed => "connection closed", "连接已关闭";
    LeftSilent => "leader {0} silent", "领导者 {0} 没有回应";
    LeftClosed => "connection to leader {0} closed", "与领导者 {0} 的连接已关闭";
    LeftEpochOlder => "leader's epoch {0} is older than accepted epoch {1}", "领导者的 epoch {0} 比已接受的 epoch {1} 旧";
    LeftUnexpected => "unexpected {0} while {1}", "在 {1} 阶段收到意外的 {0}";
    LeftTruncateBelowSnapshot => "cannot truncate to {0}, before the snapshot", "无法截断到 {0}：它在快照之前";
    LeftProposalNotAfter => "proposal {0} is not after {1}", "提议 {0} 不在 {1} 之后";
    LeftInformNotAfter => "inform {0} is not after {1}", "INFORM {0} 不在 {1} 之后";
    LeftInformPastPending => "inform {0} while proposal {1} awaits its commit", "提议 {1} 还在等待提交时收到了 INFORM {0}";
    LeftCommitOutOfOrder => "commit {0} but the next pending proposal is {1}", "收到提交 {0}，但下一个待提交的提议是 {1}";
    LeftCommitNothingPending => "commit {0} but no proposal is pending", "收到提交 {0}，但没有待提交的提议";
    LostLinkCut => "link cut", "链路已切断";
    LostDestinationDown => "destination is down", "目标服务器已宕机";
    LostDroppedByRule => "dropped by a rule", "被规则丢弃";
    LostHeldThenDiscarded => "held, then discarded", "先被扣住，后被丢弃";
    LostDroppedByHand => "dropped by hand", "被手动丢弃";
    LostConnectionBroke => "its connection broke", "它所在的连接已断开";
    ClientConnectedNew => "connected to server {0} (new session {1})", "连接到服务器 {0}（新会话 {1}）";
    ClientConnectedSame => "connected to server {0} (same session {1})", "连接到服务器 {0}（同一会话 {1}）";
    ClientDisconnectedSilent => "disconnected from server {0}: server silent", "与服务器 {0} 断开：服务器没有回应";
    ClientDisconnectedClosed => "disconnected from server {0}: connection closed by the server", "与服务器 {0} 断开：服务器关闭了连接";
    ClientSessionExpired => "session expired", "会话已过期";
    ClientAnswered => "{0}: {1}", "{0}：{1}";
    ClientWatchFired => "watch fired: {0} {1}", "watch 触发：{0} {1}";
    DiskAppendOne => "append {0}", "追加 {0}";
    DiskAppendRange => "append {0}..{1}", "追加 {0}..{1}";
    DiskAppendNothing => "append nothing", "空追加";
    DiskFsync => "fsync", "fsync（刷盘）";
    DiskAcceptedEpoch => "write acceptedEpoch {0}", "写入 acceptedEpoch {0}";
    DiskCurrentEpoch => "write currentEpoch {0}", "写入 currentEpoch {0}";
    DiskSnapshot => "snapshot at {0}", "在 {0} 做快照";
    DiskTruncate => "truncate log after {0}", "截掉日志中 {0} 之后的部分";
    PendingBoot => "server {0} boots", "服务器 {0} 启动";
    PendingDeliver => "deliver {0} from {1} to {2}", "投递 {0}（从 {1} 到 {2}）";
    PendingTimer => "server {0}: {1} timer", "服务器 {0}：{1} 定时器到期";
    PendingDisk => "server {0}: disk completes {1}", "服务器 {0}：磁盘完成 {1}";
    PendingDiskGone => "server {0}: disk completes a step", "服务器 {0}：磁盘完成一步";
    PendingConnectionClosed => "server {0} sees its connection to {1} close", "服务器 {0} 发现它与 {1} 的连接关闭了";
    PendingRequest => "client message reaches server {0}: {1}", "客户端消息到达服务器 {0}：{1}";
    PendingConnect => "a client connects to server {0}", "客户端连接到服务器 {0}";
    PendingDisconnect => "a client's connection to server {0} closes", "客户端与服务器 {0} 的连接关闭";
    PendingToClient => "a server answers a client", "服务器回复客户端";
    PendingClientTick => "client {0} pings or notices silence", "客户端 {0} 发送 ping 或发现服务器沉默";
    PendingClientReconnect => "client {0} reconnects", "客户端 {0} 重新连接";
}
