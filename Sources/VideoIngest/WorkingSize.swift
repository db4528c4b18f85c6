/// The working size of a stream's frames (`pipeline.width` x `pipeline.height`): the coordinates of every box,
/// track and preview. The reader does not scale to it; whoever reads the pixels scales straight to the size it needs.
struct WorkingSize {
    let targetWidth: Int
    /// 0 keeps the source's aspect ratio.
    let targetHeight: Int

    /// The working size for a source of `width` x `height` (even dimensions).
    func forSource(width: Int, height: Int) -> (width: Int, height: Int) {
        guard targetHeight == 0 else { return (targetWidth, targetHeight) }
        guard width > 0, height > 0 else { return (targetWidth, targetWidth * 9 / 16 & ~1) }
        let scaled = Int((Double(targetWidth) * Double(height) / Double(width)).rounded())
        return (targetWidth, max(2, scaled & ~1))
    }
}
