//! Every label of the web UI in both languages, in one table keyed by id.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The UI's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "zh" | "zh-CN" => Some(Lang::Zh),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    pub fn html(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The toggle's label, in the language it switches to.
    pub fn label(self) -> &'static str {
        match self {
            Lang::Zh => "中文",
            Lang::En => "English",
        }
    }
}

/// (id, zh-CN, en).
const STRINGS: &[(&str, &str, &str)] = &[
    (
        "brand",
        "小快轻准 工业方案市场",
        "small, fast, light, precise",
    ),
    ("skip", "跳到正文", "Skip to content"),
    ("nav", "主导航", "Main navigation"),
    ("catalog", "方案目录", "Catalog"),
    ("assessment", "数字化水平自评", "Self-assessment"),
    ("needs", "需求与匹配", "Needs & matches"),
    ("deployments", "我的部署", "Deployments"),
    ("review_queue", "评审队列", "Review queue"),
    ("dashboard", "项目看板", "Dashboard"),
    ("signin", "登录", "Sign in"),
    ("signout", "退出", "Sign out"),
    ("token", "访问令牌", "Access token"),
    (
        "token_hint",
        "粘贴管理员发给您的令牌。",
        "Paste the token your administrator gave you.",
    ),
    (
        "bad_token",
        "令牌无效或已被吊销。",
        "The token is not valid or has been revoked.",
    ),
    (
        "csrf_failed",
        "表单已过期，请刷新页面后重试。",
        "The form has expired; reload the page and try again.",
    ),
    ("error", "出错了", "Something went wrong"),
    ("admin", "管理员", "admin"),
    ("provider", "服务商", "provider"),
    ("enterprise", "企业", "enterprise"),
    ("reviewer", "评审专家", "reviewer"),
    ("search", "搜索", "Search"),
    ("search_label", "关键词", "Keywords"),
    ("industry", "行业", "Industry"),
    ("stage", "环节", "Stage"),
    ("scene", "场景", "Scene"),
    ("price", "价格", "Price"),
    ("any", "全部", "Any"),
    ("price_free", "免费部署", "Free to deploy"),
    ("price_5k", "部署 ≤ 5,000 元", "Deploy ≤ 5,000 CNY"),
    ("price_20k", "部署 ≤ 20,000 元", "Deploy ≤ 20,000 CNY"),
    ("results", "个方案", "solutions"),
    ("pages", "分页", "Pages"),
    ("no_results", "没有符合条件的方案。", "No solution matches."),
    ("provider_label", "服务商", "Provider"),
    ("target_level", "目标等级", "Target level"),
    ("level", "级", "Level"),
    ("deploy_price", "部署价", "Deploy"),
    ("run_price", "每千次调用", "Per 1,000 runs"),
    ("cny", "元", "CNY"),
    ("deploy_days", "部署天数", "Days to deploy"),
    ("small", "小", "small"),
    ("fast", "快", "fast"),
    ("light", "轻", "light"),
    ("precise", "准", "precise"),
    ("safe", "安全", "safe"),
    ("not_scored", "尚未评测", "not scored yet"),
    ("versions", "版本", "Versions"),
    ("yanked", "已撤回", "yanked"),
    ("details", "方案详情", "Listing"),
    ("summary", "简介", "Summary"),
    ("license", "许可", "License"),
    ("wit", "接口版本", "WIT version"),
    ("digest", "摘要", "Digest"),
    ("size", "大小", "Size"),
    ("schema", "输入与输出", "Inputs and outputs"),
    ("inputs", "输入表", "Input tables"),
    ("outputs", "输出表", "Output tables"),
    ("params", "参数", "Parameters"),
    ("metrics", "指标", "Metrics"),
    ("column", "列", "Column"),
    ("type", "类型", "Type"),
    ("unit", "单位", "Unit"),
    ("description", "说明", "Description"),
    ("default", "默认值", "Default"),
    ("range", "范围", "Range"),
    ("rows", "行数", "Rows"),
    ("scorecard", "评测成绩", "Scorecard"),
    ("analyzer", "检查项", "Analyzer"),
    ("outcome", "结果", "Outcome"),
    ("review_state", "评审状态", "Review state"),
    ("pending", "待评审", "pending"),
    ("approved", "已通过", "approved"),
    ("rejected", "未通过", "rejected"),
    ("suspended", "已暂停", "suspended"),
    ("note", "意见", "Note"),
    ("try", "试用", "Try it"),
    ("try_title", "试用", "Try"),
    ("upload_csv", "上传 CSV 文件", "Upload a CSV file"),
    (
        "csv_hint",
        "第一行为列名：",
        "First line: the column names:",
    ),
    ("use_sample", "使用示例数据", "Use the sample data"),
    ("run", "运行", "Run"),
    (
        "no_sample",
        "此版本没有示例数据。",
        "This version has no sample data.",
    ),
    (
        "missing_table",
        "请上传此表的 CSV，或使用示例数据",
        "Upload a CSV for this table, or use the sample data",
    ),
    ("csv_error", "CSV 有误", "CSV problem"),
    ("result", "运行结果", "Result"),
    ("findings", "发现的问题", "Findings"),
    ("severity", "严重程度", "Severity"),
    ("message", "内容", "Message"),
    ("row", "行", "Row"),
    ("usage", "资源用量", "Usage"),
    ("fuel", "燃料", "Fuel"),
    ("wall_ms", "耗时 (毫秒)", "Wall time (ms)"),
    ("memory", "内存峰值", "Peak memory"),
    ("cost", "费用", "Cost"),
    ("logs", "日志", "Logs"),
    ("chart", "图表", "Chart"),
    ("control_chart", "控制图 (X̄)", "Control chart (X̄)"),
    ("violation", "违规点", "Violation"),
    ("gantt", "甘特图", "Gantt chart"),
    ("jobs", "个工件", "jobs"),
    ("makespan", "总完工时间", "makespan"),
    ("subgroups", "个子组", "subgroups"),
    ("machine", "设备", "Machine"),
    ("delta_e", "各批次色差 ΔE00", "ΔE00 per batch"),
    ("tolerance", "容差", "Tolerance"),
    ("deploy", "部署", "Deploy"),
    ("deploy_this", "部署此版本", "Deploy this version"),
    ("version_req", "版本要求", "Version requirement"),
    ("deployed", "已部署", "Deployed"),
    ("no_deployments", "还没有部署。", "No deployments yet."),
    ("deployment_count", "部署数", "Deployments"),
    ("package", "方案", "Solution"),
    ("pinned", "固定版本", "Pinned version"),
    ("created", "创建时间", "Created"),
    ("open", "打开", "Open"),
    ("invoke", "调用", "Invoke"),
    ("invoke_file", "用文件调用", "Invoke with a file"),
    (
        "input_json",
        "输入文件 (JSON 或 CSV)",
        "Input file (JSON or CSV)",
    ),
    ("upgrade", "升级", "Upgrade"),
    ("target_version", "目标版本", "Target version"),
    ("dry_run", "仅检查，不切换", "Check only, do not switch"),
    ("force", "差异存在时仍强制升级", "Force despite differences"),
    ("gate_report", "升级检查报告", "Upgrade gate report"),
    ("check", "检查", "Check"),
    ("pass", "通过", "pass"),
    ("fail", "不通过", "fail"),
    ("current", "当前版本", "Current"),
    ("candidate", "候选版本", "Candidate"),
    ("differences", "输出差异", "Output differences"),
    ("where", "位置", "Where"),
    ("no_differences", "输出一致", "Outputs agree"),
    ("rollback", "回滚", "Roll back"),
    ("history", "历史", "History"),
    ("action", "操作", "Action"),
    ("actor", "操作人", "By"),
    ("from", "从", "From"),
    ("to", "到", "To"),
    ("time", "时间", "Time"),
    ("date", "日期", "Date"),
    ("runs", "调用次数", "Runs"),
    ("errors", "错误", "Errors"),
    ("switched", "已切换到新版本", "Switched to the new version"),
    ("not_switched", "未切换", "Not switched"),
    ("warning", "提示", "Warning"),
    (
        "queue_empty",
        "没有待评审的版本。",
        "Nothing is waiting for review.",
    ),
    (
        "run_conformance",
        "运行完整评测",
        "Run the full conformance suite",
    ),
    ("progress", "进度", "Progress"),
    ("decision", "评审决定", "Decision"),
    ("approve", "通过", "Approve"),
    ("reject", "驳回", "Reject"),
    ("suspend", "暂停", "Suspend"),
    ("submit", "提交", "Submit"),
    ("decided", "已记录评审决定", "Decision recorded"),
    ("conformance_done", "评测完成", "Conformance finished"),
    (
        "assess_intro",
        "按 2024 年中小企业数字化水平评测指标逐项作答。",
        "Answer each item of the 2024 SME digital-level index.",
    ),
    ("assess_submit", "提交自评", "Submit the assessment"),
    ("assess_result", "自评结果", "Result"),
    ("total", "总分", "Total"),
    ("gaps", "差距", "Gaps"),
    ("dimension", "维度", "Dimension"),
    ("score", "得分", "Score"),
    ("radar", "各维度得分雷达图", "Radar of the dimension scores"),
    ("past_assessments", "历次自评", "Past assessments"),
    ("profile", "企业信息", "Company profile"),
    ("employees", "从业人员 (人)", "Employees"),
    ("revenue", "营业收入 (万元)", "Revenue (10,000 CNY)"),
    (
        "rejected_candidates",
        "未入选的方案",
        "Solutions filtered out",
    ),
    ("need_new", "发布需求", "Publish a need"),
    ("need_list", "我的需求", "My needs"),
    ("matches", "匹配的方案", "Matched solutions"),
    ("reasons", "匹配理由", "Reasons"),
    ("budget", "预算 (元)", "Budget (CNY)"),
    ("max_days", "最长部署天数", "Longest deployment (days)"),
    ("save", "保存", "Save"),
    ("targets", "项目目标进展", "Progress against the targets"),
    ("levels", "数字化水平分布", "Digital levels"),
    ("first_assessment", "首次自评", "First assessment"),
    ("latest_assessment", "最近一次自评", "Latest assessment"),
    ("by_industry", "分行业", "By industry"),
    ("enterprises", "企业", "Enterprises"),
    ("solutions", "方案", "Solutions"),
    ("providers", "服务商", "Providers"),
    ("trials", "试用", "Trials"),
    ("value", "数值", "Value"),
    ("target", "目标", "Target"),
    ("yes", "是", "yes"),
    ("no", "否", "no"),
    ("none", "无", "none"),
];

fn table() -> &'static HashMap<&'static str, (&'static str, &'static str)> {
    static TABLE: OnceLock<HashMap<&'static str, (&'static str, &'static str)>> = OnceLock::new();
    TABLE.get_or_init(|| STRINGS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
}

/// The label `key` in `lang`; an unknown key shows itself, so a missing label is visible rather
/// than blank.
pub fn t(lang: Lang, key: &str) -> &'static str {
    match table().get(key) {
        Some((zh, en)) => match lang {
            Lang::Zh => zh,
            Lang::En => en,
        },
        None => {
            tracing::warn!(key, "web UI label missing");
            STRINGS
                .iter()
                .find(|(k, _, _)| *k == "error")
                .map_or("?", |(_, _, en)| en)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_languages_and_ids_are_unique() {
        let mut seen = std::collections::HashSet::new();
        for (id, zh, en) in STRINGS {
            assert!(seen.insert(*id), "label `{id}` twice");
            assert!(
                !zh.trim().is_empty() && !en.trim().is_empty(),
                "label `{id}`"
            );
        }
    }

    #[test]
    fn every_label_used_in_the_ui_exists() {
        // Every `.t("...")` in the UI sources names a label of the table.
        let sources = [
            include_str!("mod.rs"),
            include_str!("catalog.rs"),
            include_str!("trial.rs"),
            include_str!("deploy.rs"),
            include_str!("review.rs"),
            include_str!("program.rs"),
            include_str!("charts.rs"),
        ];
        for source in sources {
            for piece in source.split(".t(\"").skip(1) {
                let key = piece.split('"').next().unwrap_or_default();
                assert!(
                    table().contains_key(key),
                    "label `{key}` is used but not in the table"
                );
            }
        }
    }
}
