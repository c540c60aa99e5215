"""Letters (文书): official notices and decisions rendered from Word templates the office edits."""
